// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Entry } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('stale-while-revalidate (semantic 2)', () => {
  it('turns isStale true exactly when staleTime has passed', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    await cache.fetch({ key: ['k'], fetcher: async () => 'v' })
    expect(cache.get(['k'])?.isStale).toBe(false)
    await vi.advanceTimersByTimeAsync(999)
    expect(cache.get(['k'])?.isStale).toBe(false)
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('treats data as stale at once with the default staleTime of 0', async () => {
    const cache = createCache({ now: () => Date.now() })
    await cache.fetch({ key: ['k'], fetcher: async () => 'v' })
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('answers fetch() from the cache while fresh, without running the fetcher', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const fetcher = vi.fn(async () => 'v')
    await cache.fetch({ key: ['k'], fetcher })
    await vi.advanceTimersByTimeAsync(500)
    await expect(cache.fetch({ key: ['k'], fetcher })).resolves.toBe('v')
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('keeps observed data fresh for a staleTime beyond what one setTimeout can wait', async () => {
    const thirtyDays = 30 * 24 * 60 * 60 * 1000
    const cache = createCache({ now: () => Date.now(), staleTime: thirtyDays })
    const fetcher = vi.fn(async () => 'v')
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000)
    expect(observer.getSnapshot()?.isStale).toBe(false)
    expect(fetcher).toHaveBeenCalledTimes(1)
    detach()
  })

  it('uses the query staleTime over the cache staleTime', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 0 })
    const fetcher = vi.fn(async () => 'v')
    await cache.fetch({ key: ['k'], fetcher, staleTime: 5000 })
    await vi.advanceTimersByTimeAsync(4000)
    await cache.fetch({ key: ['k'], fetcher, staleTime: 5000 })
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it('turns isStale true when the entry is invalidated, even within staleTime', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    await cache.fetch({ key: ['k'], fetcher: async () => 'v' })
    expect(cache.get(['k'])?.isStale).toBe(false)
    void cache.invalidate({ key: ['k'] })
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('keeps stale data visible to an observer while the refetch runs', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const { fetcher, call } = controlledFetcher<string>()
    cache.set(['k'], 'old')
    await vi.advanceTimersByTimeAsync(1000)
    const observer = observe(cache, { key: ['k'], fetcher, staleTime: 1000 })
    const seen: (Entry<string> | undefined)[] = []
    const detach = observer.subscribe(() => seen.push(observer.getSnapshot()))
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    const during = observer.getSnapshot()
    expect(during?.data).toBe('old')
    expect(during?.status).toBe('success')
    expect(during?.isFetching).toBe(true)
    expect(during?.isStale).toBe(true)

    call(0).resolve('new')
    await flush()
    const after = observer.getSnapshot()
    expect(after?.data).toBe('new')
    expect(after?.isFetching).toBe(false)
    expect(after?.isStale).toBe(false)
    // Never a moment without data: no pending snapshot in between.
    expect(seen.every((entry) => entry?.data !== undefined)).toBe(true)
    detach()
  })

  it('shows the stale value in get() while a fetch() of stale data revalidates, and resolves fetch() with the new value', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const { fetcher, call } = controlledFetcher<string>()
    cache.set(['k'], 'old')
    await vi.advanceTimersByTimeAsync(1000)
    const result = cache.fetch({ key: ['k'], fetcher })
    await flush()
    // While revalidating, the stale value is still what get() shows.
    expect(cache.get(['k'])?.data).toBe('old')
    expect(cache.get(['k'])?.isFetching).toBe(true)
    call(0).resolve('new')
    await expect(result).resolves.toBe('new')
  })
})

describe('a new staleTime while observed', () => {
  it('isStale flips with time after a re-render raises the staleTime', async () => {
    const cache = createCache({ now: () => Date.now() })
    const fetcher = async () => 'v'
    const observer = observe(cache, { key: ['k'], fetcher, staleTime: 1000 })
    const detach = observer.subscribe(() => {})
    await flush()
    await vi.advanceTimersByTimeAsync(500)
    observer.setOptions({ key: ['k'], fetcher, staleTime: 5000 })
    observer.sync()
    await vi.advanceTimersByTimeAsync(1000)
    expect(observer.getSnapshot()?.isStale).toBe(false)
    await vi.advanceTimersByTimeAsync(4000) // 5,500 ms after it landed
    expect(observer.getSnapshot()?.isStale).toBe(true)
    detach()
  })

  it('isStale flips with time after a re-render lowers the staleTime from Infinity', async () => {
    const cache = createCache({ now: () => Date.now() })
    const fetcher = async () => 'v'
    const observer = observe(cache, { key: ['k'], fetcher, staleTime: Infinity })
    const detach = observer.subscribe(() => {})
    await flush()
    observer.setOptions({ key: ['k'], fetcher, staleTime: 1000 })
    observer.sync()
    await vi.advanceTimersByTimeAsync(2000)
    expect(observer.getSnapshot()?.isStale).toBe(true)
    detach()
  })
})

describe('the stale flip of an observed entry', () => {
  // Node counts a timer from the start of its event-loop turn, so after work in
  // that turn the timer fires a few ms before Date.now() says the time is up
  // (browsers may fire up to a millisecond early too). Modelled here by a clock
  // that read 5 ms ahead while the answer landed.
  it('still flips isStale when its timer fires before the clock says the data is stale', async () => {
    let skew = 5
    const cache = createCache({ now: () => Date.now() + skew, staleTime: 1000 })
    const { fetcher, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const seen: (Entry<string> | undefined)[] = []
    const detach = observer.subscribe(() => seen.push(observer.getSnapshot()))
    await flush()
    call(0).resolve('v')
    await flush()
    skew = 0
    expect(observer.getSnapshot()?.isStale).toBe(false)
    await vi.advanceTimersByTimeAsync(1000) // the timer fires: the clock says 995 ms
    expect(observer.getSnapshot()?.isStale).toBe(false)
    await vi.advanceTimersByTimeAsync(5)
    expect(observer.getSnapshot()?.isStale).toBe(true)
    // The notification is batched: a 0 ms timer set inside a fake timer runs 1 ms later.
    await vi.advanceTimersByTimeAsync(1)
    expect(seen.at(-1)?.isStale).toBe(true) // the observer was told
    detach()
  })
})
