// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { fakeTimersEachTest } from '../helpers/core'

fakeTimersEachTest()

// Found by test/core/match.property.test.ts. `model` targets and
// setModelVersion('immediate') must pick the entries whose snapshot names the
// model (the data's producer, semantic 5), not whichever model the entry's
// latest query options name.
describe('model matching follows the data the entry holds', () => {
  const fresh = () => createCache({ staleTime: Infinity, models: { m: 'v1' }, now: () => Date.now() })

  it("hits an entry holding model m's answer after a fresh fetch() that names no model", async () => {
    const cache = fresh()
    cache.set(['k'], 'm-answer', { model: 'm' })
    // Fresh: answered from the cache, no refetch; the data is still m@v1's.
    await expect(cache.fetch({ key: ['k'], fetcher: async () => 'plain' })).resolves.toBe('m-answer')
    expect(cache.get(['k'])).toMatchObject({ model: 'm', modelVersion: 'v1', isStale: false })

    // Rolling back a bad version drops its answers.
    await expect(cache.invalidate({ model: 'm', modelVersion: 'v1' })).resolves.toBe(1)
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('setModelVersion immediate invalidates that entry', async () => {
    const cache = fresh()
    cache.set(['k'], 'm-answer', { model: 'm' })
    await cache.fetch({ key: ['k'], fetcher: async () => 'plain' })
    cache.setModelVersion('m', 'v2', { policy: 'immediate' })
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('leaves an entry whose data was set without a model alone, even if its query names one', async () => {
    const cache = fresh()
    await cache.fetch({ key: ['k'], model: 'm', fetcher: async () => 'm-answer' })
    cache.set(['k'], 'manual') // Details: "without `model` the entry names no model"
    expect(cache.get(['k'])).toMatchObject({ model: undefined, modelVersion: undefined, isStale: false })

    cache.setModelVersion('m', 'v2', { policy: 'immediate' }) // semantic 5: entries that name no model are untouched
    expect(cache.get(['k'])?.isStale).toBe(false)
    await expect(cache.invalidate({ model: 'm' })).resolves.toBe(0)
    expect(cache.get(['k'])?.isStale).toBe(false)
    // Its query still names m: its next fetch is m's answer, stamped with m's version.
    await cache.invalidate({ key: ['k'] })
    await cache.fetch({ key: ['k'], model: 'm', fetcher: async () => 'm-again' })
    expect(cache.get(['k'])).toMatchObject({ data: 'm-again', model: 'm', modelVersion: 'v2' })
  })

  it("keeps naming the model of the data it holds while an error stands, when its query moves to another model", async () => {
    const cache = createCache({ retry: 0, models: { m: 'v1', n: 'w1' }, now: () => Date.now() })
    await cache.fetch({ key: ['k'], model: 'm', fetcher: async () => 'm-answer' })
    await cache.fetch({ key: ['k'], model: 'm', fetcher: async () => Promise.reject(new Error('down')) }).catch(() => {})
    // Its query now names n, and n's fetch fails too: the data shown is still m@v1's answer.
    const failed = cache.fetch({ key: ['k'], model: 'n', fetcher: async () => Promise.reject(new Error('down')) })
    await expect(failed).rejects.toThrow('down')
    expect(cache.get(['k'])).toMatchObject({ data: 'm-answer', status: 'error', model: 'm', modelVersion: 'v1' })
    // Rolling back m@v1 drops that answer.
    await expect(cache.invalidate({ model: 'm', modelVersion: 'v1' }, { mode: 'remove' })).resolves.toBe(1)
    expect(cache.get(['k'])?.data).toBeUndefined()
  })
})
