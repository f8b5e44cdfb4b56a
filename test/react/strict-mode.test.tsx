import { screen } from '@testing-library/react'
import { describe, expect, it } from 'vitest'
import type { Cache } from '../../src/core/types'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { cacheEachTest, controlledFetcher } from '../helpers/core'
import { renderWith, settle, testCache } from './helpers'

let cache: Cache
cacheEachTest(testCache, (c) => (cache = c))

describe('StrictMode', () => {
  it('the double mount fetches once and never aborts', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['strict'], fetcher })
      return <p>{`${q.status}:${q.data ?? '-'}`}</p>
    }
    renderWith(cache, <View />, { strict: true })
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(call(0).ctx.signal.aborted).toBe(false)
    call(0).resolve('once')
    await settle()
    expect(screen.getByText('success:once')).toBeTruthy()
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('counts the double mount as one mount in stats()', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['strict'], fetcher })
      return <p>{q.data ?? '-'}</p>
    }
    renderWith(cache, <View />, { strict: true })
    await settle()
    expect(cache.stats()).toMatchObject({ misses: 1, deduped: 0, hits: 0, fetches: 1 })
    call(0).resolve('once')
    await settle()
    expect(cache.stats()).toMatchObject({ misses: 1, deduped: 0, hits: 0, fetches: 1 })
  })

  it('still aborts when the component really unmounts mid-fetch', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View() {
      const q = useCachedQuery({ key: ['strict'], fetcher })
      return <p>{q.data ?? '-'}</p>
    }
    const view = renderWith(cache, <View />, { strict: true })
    await settle()
    view.unmount()
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(call(0).ctx.signal.aborted).toBe(true)
  })

  it('a key switch under StrictMode fetches the new key once', async () => {
    const { fetcher, call } = controlledFetcher<string>()
    function View({ id }: { id: number }) {
      const q = useCachedQuery({ key: ['user', id], fetcher })
      return <p>{`${id}:${q.data ?? '-'}`}</p>
    }
    const view = renderWith(cache, <View id={1} />, { strict: true })
    await settle()
    call(0).resolve('ada')
    await settle()
    view.rerender(<View id={2} />)
    await settle()
    expect(fetcher).toHaveBeenCalledTimes(2)
    call(1).resolve('grace')
    await settle()
    expect(screen.getByText('2:grace')).toBeTruthy()
  })
})
