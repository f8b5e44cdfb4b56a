// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('stats()', () => {
  it('starts at zero', () => {
    const cache = createCache()
    expect(cache.stats()).toEqual({
      entries: 0,
      hits: 0,
      misses: 0,
      fetches: 0,
      deduped: 0,
      errors: 0,
      inFlight: 0,
      queued: 0,
    })
  })

  it('counts fetch() calls answered fresh from the cache as hits, others as misses', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const fetcher = async () => 'v'
    await cache.fetch({ key: ['k'], fetcher }) // missing: miss
    await cache.fetch({ key: ['k'], fetcher }) // fresh: hit
    await cache.fetch({ key: ['k'], fetcher }) // fresh: hit
    await vi.advanceTimersByTimeAsync(1000)
    await cache.fetch({ key: ['k'], fetcher }) // stale: miss
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2, fetches: 2 })
  })

  it('counts mounts: an observer answered fresh is a hit, one that must fetch is a miss', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    cache.set(['fresh'], 'v')
    const detachHit = observe(cache, { key: ['fresh'], fetcher: async () => 'v' }).subscribe(() => {})
    const detachMiss = observe(cache, { key: ['missing'], fetcher: async () => 'v' }).subscribe(() => {})
    await flush()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 1, fetches: 1 })
    detachHit()
    detachMiss()
  })

  it('counts requests that joined an in-flight fetch as deduped, and each fetcher run as a fetch', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const all = [1, 2, 3].map(() => cache.fetch({ key: ['k'], fetcher }))
    await flush()
    expect(cache.stats()).toMatchObject({ fetches: 1, deduped: 2, misses: 3, hits: 0, inFlight: 1 })
    call(0).resolve('v')
    await Promise.all(all)
    expect(cache.stats()).toMatchObject({ fetches: 1, deduped: 2, inFlight: 0 })
  })

  it('counts each retry as a fetcher run', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 2 })
    const result = cache.fetch({ key: ['k'], fetcher: async () => Promise.reject(new Error('down')) }).catch(() => {})
    await vi.advanceTimersByTimeAsync(10_000)
    await result
    expect(cache.stats().fetches).toBe(3)
  })

  it('counts a failed fetch as an error', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    await cache.fetch({ key: ['a'], fetcher: async () => Promise.reject(new Error('down')) }).catch(() => {})
    await cache.fetch({ key: ['b'], fetcher: async () => 'fine' })
    expect(cache.stats().errors).toBe(1)
  })

  it('reports fetches in flight and queued', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 2 })
    const { fetcher, calls } = controlledFetcher<string>()
    const all = ['a', 'b', 'c', 'd', 'e'].map((k) => cache.fetch({ key: [k], fetcher }))
    await flush()
    expect(cache.stats()).toMatchObject({ inFlight: 2, queued: 3, entries: 5 })
    for (let i = 0; i < 5; i++) {
      calls[i]?.resolve('v')
      await flush()
    }
    await Promise.all(all)
    expect(cache.stats()).toMatchObject({ inFlight: 0, queued: 0, fetches: 5 })
  })

  it('counts entries per (key, segment)', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 1)
    cache.set(['k'], 2)
    cache.set(['k'], 3, { segment: 'a' })
    cache.set(['j'], 4)
    expect(cache.stats().entries).toBe(3)
  })
})

describe('stats() when a request waits out a fetch an invalidation overtook', () => {
  it('counts the fetch() call once', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // the mount: a miss
    await flush()
    void cache.invalidate({ key: ['k'] })
    const result = cache.fetch({ key: ['k'], fetcher }) // one call: a miss, deduped
    await flush()
    call(0).resolve('old')
    await flush()
    call(1).resolve('new') // the follow-up fetch
    expect(await result).toBe('new')
    expect(cache.stats()).toMatchObject({ misses: 2, hits: 0, deduped: 1, fetches: 2 })
    detach()
  })
})

describe('clear()', () => {
  it('removes every entry', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['a'], 1, { tags: ['t'] })
    cache.set(['b'], 2, { segment: 's' })
    cache.clear()
    expect(cache.get(['a'])).toBeUndefined()
    expect(cache.get(['b'], 's')).toBeUndefined()
    expect(cache.stats().entries).toBe(0)
    await expect(cache.invalidate({ tags: ['t'] })).resolves.toBe(0)
  })

  it('emits a removed event for each entry', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['a'], 1)
    cache.set(['b'], 2)
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    cache.clear()
    expect(events.filter((event) => event.type === 'removed')).toHaveLength(2)
  })

  it('a fetch in flight when clear() runs does not bring the entry back', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await flush()
    cache.clear()
    call(0).resolve('late')
    // Its caller still gets what the fetch produced: nothing newer exists.
    await expect(pending).resolves.toBe('late')
    await flush()
    expect(cache.get(['k'])).toBeUndefined()
    expect(cache.stats()).toMatchObject({ entries: 0, inFlight: 0 })
  })

  it("moves a mounted observer to a new entry for its key: pending, fetched, and reached by later invalidations", async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    const { fetcher, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['me'], fetcher, tags: ['session'] })
    const detach = observer.subscribe(() => {})
    call(0).resolve('ada')
    await flush()
    const events: string[] = []
    cache.subscribe((event) => events.push(event.type))
    cache.clear()
    expect(events.slice(0, 2)).toEqual(['removed', 'added'])
    expect(observer.getSnapshot()).toMatchObject({ status: 'pending', data: undefined, isFetching: true })
    call(1).resolve('bob')
    await flush()
    expect(observer.getSnapshot()?.data).toBe('bob')
    // The new entry is indexed and observed: an invalidation by tag refetches it.
    const count = cache.invalidate({ tags: ['session'] })
    expect(call(2)).toBeDefined()
    call(2).resolve('bob again')
    await expect(count).resolves.toBe(1)
    expect(cache.stats()).toMatchObject({ entries: 1, fetches: 3 })
    detach()
  })

  it('an observer that has rendered but is not subscribed yet never shows the removed data', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['me'], 'ada')
    const { fetcher } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['me'], fetcher })
    expect(observer.getSnapshot()?.data).toBe('ada')
    cache.clear()
    expect(observer.getSnapshot()).toBeUndefined()
  })

  it('leaves the cache usable', async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['a'], 1)
    cache.clear()
    await expect(cache.fetch({ key: ['a'], fetcher: async () => 2 })).resolves.toBe(2)
    expect(cache.get(['a'])?.data).toBe(2)
  })
})
