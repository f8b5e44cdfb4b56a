// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { internalsOf } from '../../src/core/internals'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

const gateOf = (cache: object) =>
  (internalsOf(cache) as unknown as { gate: { waiting: unknown[]; head: number; queued: number } }).gate

describe('the concurrency gate, while saturated', () => {
  // A slot held by a slow fetch (an AI answer, a long poll); meanwhile the
  // user scrolls a list: each row mounts (its fetch queues) and unmounts
  // (the queued fetch aborts). Aborted waiters stay in the queue array until
  // a slot frees, each holding its signal and promise callbacks.
  it('does not keep aborted waiters once nothing is queued', async () => {
    const cache = createCache({ maxConcurrentFetches: 1 })
    const slow = controlledFetcher<string>()
    void cache.fetch({ key: ['slow'], fetcher: slow.fetcher }).catch(() => {})
    await flush()
    for (let n = 0; n < 2000; n++) {
      const detach = observe(cache, { key: ['row', n], fetcher: async () => n }).subscribe(() => {})
      detach()
      await flush()
    }
    expect(cache.stats().queued).toBe(0)
    const gate = gateOf(cache)
    expect(gate.waiting.length - gate.head).toBeLessThanOrEqual(8)
    slow.call(0).resolve('done')
    await flush()
  })
})
