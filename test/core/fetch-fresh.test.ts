// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

// A background refetch of data that is still fresh: a refetchInterval shorter
// than staleTime (poll every 10 s, trust data for a minute), or refetch().
describe('fetch() answers fresh data from the cache while a background refetch runs', () => {
  // Prices trusted for a minute and polled every 10 s: 'v1' has landed and the first poll is running.
  async function pollingPrices() {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000, retry: 0, onError: () => {} })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const detach = observe(cache, { key: ['prices'], fetcher, refetchInterval: 10_000 }).subscribe(() => {})
    await flush()
    call(0).resolve('v1')
    await flush()
    await vi.advanceTimersByTimeAsync(10_000)
    return { cache, fetcher, calls, call, detach }
  }

  it('resolves at once with the cached data, a hit, and is not failed by that refetch', async () => {
    const { cache, fetcher, call, detach } = await pollingPrices()
    expect(cache.get(['prices'])).toMatchObject({ data: 'v1', isStale: false, isFetching: true })

    const before = cache.stats()
    const loaded = track(cache.fetch({ key: ['prices'], fetcher }))
    await flush()
    expect(loaded).toEqual({ settled: true, value: 'v1' })
    expect(cache.stats()).toMatchObject({ hits: before.hits + 1, misses: before.misses, deduped: before.deduped })

    call(1).reject(new Error('network down')) // the poll fails: the fresh data was answered all the same
    await flush()
    expect(loaded).toEqual({ settled: true, value: 'v1' })
    detach()
  })

  it('keeps answering the fresh data after that refetch failed, as fetch() and as a mount, until staleTime passes', async () => {
    const { cache, fetcher, calls, call, detach } = await pollingPrices()
    call(1).reject(new Error('network down')) // the poll fails: the error stands, the data is 10 s old
    await flush()
    expect(cache.get(['prices'])).toMatchObject({ data: 'v1', status: 'error', isStale: false, isFetching: false })

    // A loader (fetch()) and another component (a mount) ask for data at most a minute old: they have it.
    const before = cache.stats()
    const loaded = track(cache.fetch({ key: ['prices'], fetcher }))
    const detachOther = observe(cache, { key: ['prices'], fetcher }).subscribe(() => {})
    await flush()
    expect(loaded).toEqual({ settled: true, value: 'v1' })
    expect(calls).toHaveLength(2) // no fetcher run for either
    expect(cache.stats()).toMatchObject({ hits: before.hits + 2, misses: before.misses })

    // Stale: a fetch() asks the server again.
    detach() // (the poll stops)
    await vi.advanceTimersByTimeAsync(50_000)
    const later = track(cache.fetch({ key: ['prices'], fetcher }))
    await flush()
    expect(calls).toHaveLength(3)
    call(2).resolve('v2')
    await flush()
    expect(later).toEqual({ settled: true, value: 'v2' })
    detachOther()
  })

  it('still joins the refetch in flight when the cached data is stale, missing, or refetch() forces it', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000, retry: 0 })
    const { fetcher, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    const first = track(cache.fetch({ key: ['k'], fetcher })) // nothing cached: joins the mount's fetch
    await flush()
    call(0).resolve('v1')
    await flush()
    expect(first).toEqual({ settled: true, value: 'v1' })
    expect(cache.stats()).toMatchObject({ fetches: 1, deduped: 1 })

    const forced = track(observer.refetch())
    const joined = track(observer.refetch())
    await flush()
    call(1).resolve('v2')
    await flush()
    expect(forced).toEqual({ settled: true, value: 'v2' })
    expect(joined).toEqual({ settled: true, value: 'v2' })
    expect(cache.stats()).toMatchObject({ fetches: 2, deduped: 2 })
    detach()
  })
})
