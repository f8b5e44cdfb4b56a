// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('gc (semantic 9)', () => {
  it('removes an entry gcTime ms after its last observer leaves', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    const detach = observe(cache, { key: ['k'], fetcher: async () => 'v' }).subscribe(() => {})
    await flush()
    await vi.advanceTimersByTimeAsync(5000) // observed: kept however long
    expect(cache.get(['k'])?.data).toBe('v')
    detach()
    await vi.advanceTimersByTimeAsync(999)
    expect(cache.get(['k'])?.data).toBe('v')
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])).toBeUndefined()
    expect(cache.stats().entries).toBe(0)
  })

  it('waits for the last observer, not the first to leave', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    const detachA = observe(cache, { key: ['k'], fetcher: async () => 'v' }).subscribe(() => {})
    const detachB = observe(cache, { key: ['k'], fetcher: async () => 'v' }).subscribe(() => {})
    await flush()
    detachA()
    await vi.advanceTimersByTimeAsync(2000)
    expect(cache.get(['k'])).toBeDefined()
    detachB()
    await vi.advanceTimersByTimeAsync(1000)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('keeps the entry when an observer comes back before gcTime', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000, staleTime: 60_000 })
    const fetcher = vi.fn(async () => 'v')
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    detach()
    await vi.advanceTimersByTimeAsync(900)
    const again = observer.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(5000)
    expect(cache.get(['k'])?.data).toBe('v')
    expect(fetcher).toHaveBeenCalledTimes(1)
    again()
    await vi.advanceTimersByTimeAsync(1000)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('removes an entry that never had an observer gcTime after its last fetch', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    await cache.fetch({ key: ['k'], fetcher: async () => 'v' })
    await vi.advanceTimersByTimeAsync(999)
    expect(cache.get(['k'])).toBeDefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('counts from the end of a slow fetch, not its start', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await vi.advanceTimersByTimeAsync(3000)
    call(0).resolve('slow')
    await expect(pending).resolves.toBe('slow')
    expect(cache.get(['k'])?.data).toBe('slow')
    await vi.advanceTimersByTimeAsync(999)
    expect(cache.get(['k'])?.data).toBe('slow')
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('removes an entry that never had an observer gcTime after its last set, each set restarting the clock', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    cache.set(['k'], 1)
    await vi.advanceTimersByTimeAsync(600)
    cache.set(['k'], 2)
    await vi.advanceTimersByTimeAsync(999)
    expect(cache.get(['k'])?.data).toBe(2)
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('uses the query gcTime over the cache gcTime', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 100_000 })
    await cache.fetch({ key: ['k'], fetcher: async () => 'v', gcTime: 50 })
    await vi.advanceTimersByTimeAsync(50)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('defaults gcTime to 300_000 ms', async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'v')
    await vi.advanceTimersByTimeAsync(299_999)
    expect(cache.get(['k'])).toBeDefined()
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['k'])).toBeUndefined()
  })

  it('keeps an entry whose gcTime is beyond what one setTimeout can wait (about 24.8 days)', async () => {
    const thirtyDays = 30 * 24 * 60 * 60 * 1000
    const cache = createCache({ now: () => Date.now(), gcTime: thirtyDays })
    cache.set(['k'], 'v')
    await vi.advanceTimersByTimeAsync(60 * 60 * 1000)
    expect(cache.get(['k'])?.data).toBe('v')
  })

  it('emits a removed event', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 10 })
    const events: CacheEvent[] = []
    cache.set(['k'], 'v')
    cache.subscribe((event) => events.push(event))
    await vi.advanceTimersByTimeAsync(10)
    expect(events.filter((event) => event.type === 'removed').map((event) => 'entry' in event && event.entry.key)).toEqual([
      ['k'],
    ])
  })

  it('does not remove an entry while its fetch is in flight', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 100 })
    cache.set(['k'], 'old')
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await vi.advanceTimersByTimeAsync(500)
    expect(cache.get(['k'])?.isFetching).toBe(true)
    call(0).resolve('new')
    await expect(pending).resolves.toBe('new')
    expect(cache.get(['k'])?.data).toBe('new')
  })

  it('frees every entry: 1,000 unobserved entries leave an empty cache', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000 })
    for (let i = 0; i < 1000; i++) cache.set(['item', i], { i }, { tags: [`t${i % 7}`], segment: `s${i % 3}` })
    expect(cache.stats().entries).toBe(1000)
    await vi.advanceTimersByTimeAsync(1000)
    expect(cache.stats().entries).toBe(0)
    // The indexes let go too: an invalidation finds nothing.
    await expect(cache.invalidate({ tags: ['t1'] })).resolves.toBe(0)
    await expect(cache.invalidate({ segment: 's1' })).resolves.toBe(0)
    await expect(cache.invalidate({ key: ['item'] })).resolves.toBe(0)
  })
})
