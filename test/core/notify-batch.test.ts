// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

// The React tests of batching run inside act(), which batches renders itself;
// this checks the core's own batch: observers whose entries change in one
// tick are notified in one loop, after every change of that tick.
describe('batched notifications', () => {
  it('tells the observers of queries that land in one tick together, after both landed', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const a = observe(cache, { key: ['a'], fetcher })
    const b = observe(cache, { key: ['b'], fetcher })
    const seenByA: (string | undefined)[] = []
    const offA = a.subscribe(() => seenByA.push(b.getSnapshot()?.data))
    const offB = b.subscribe(() => {})
    await flush()
    seenByA.length = 0
    call(0).resolve('A')
    call(1).resolve('B')
    await flush()
    // One notification for A, and by then B had landed too.
    expect(seenByA).toEqual(['B'])
    offA()
    offB()
  })
})
