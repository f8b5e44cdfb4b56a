import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { commitCounter, renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

describe('batching', () => {
  it('1,000 components on one key: one fetch, at most 2 renders each (mount + data)', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    const renders = new Array<number>(1_000).fill(0)
    function Reader({ i }: { i: number }) {
      const q = useCachedQuery({ key: ['shared'], fetcher })
      renders[i]!++
      return <li>{q.data ?? '-'}</li>
    }
    renderWith(
      cache,
      <ul>
        {renders.map((_, i) => (
          <Reader key={i} i={i} />
        ))}
      </ul>,
    )
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('hello')
    await settle()
    expect(screen.getAllByText('hello')).toHaveLength(1_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(Math.max(...renders)).toBeLessThanOrEqual(2)
    expect(Math.min(...renders)).toBe(2)
  })

  it('500 components on 500 keys whose fetches resolve in the same tick reach their data in at most 3 commits', async () => {
    const { fetcher, calls } = controlledFetcher<string>()
    const counter = commitCounter()
    function Item({ i }: { i: number }) {
      const q = useCachedQuery({ key: ['item', i], fetcher })
      return <li>{q.data ?? '-'}</li>
    }
    const ids = Array.from({ length: 500 }, (_, i) => i)
    renderWith(
      cache,
      <counter.Wrap>
        <ul>
          {ids.map((i) => (
            <Item key={i} i={i} />
          ))}
        </ul>
      </counter.Wrap>,
    )
    await settle()
    expect(calls).toHaveLength(500)
    counter.commits = 0
    // One synchronous loop: every fetch answers in the same tick.
    for (const c of calls) c.resolve(`item ${(c.ctx.key as [string, number])[1]}`)
    await settle()
    expect(screen.getAllByText(/^item \d+$/)).toHaveLength(500)
    expect(screen.getByText('item 499')).toBeTruthy()
    expect(counter.commits).toBeGreaterThanOrEqual(1)
    expect(counter.commits).toBeLessThanOrEqual(3)
  })
})
