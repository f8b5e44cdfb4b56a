// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Cache, CacheEvent, QueryKey } from '../../src/core/types'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { cleanups, freshChannelName, invalidatedWithTag, nextEvent, nthEvent } from './two-tabs'

// Two real caches on one BroadcastChannel, as two tabs would be. Delivery is
// asynchronous; every wait is event-driven and bounded (see ./two-tabs).

/** A tab: a cache with one observed entry whose fetcher counts its runs, relaying on `channel`. */
async function tab(channel: string, query: { key: QueryKey; tags?: string[]; model?: string } = { key: ['recs', 7], tags: ['product:42'] }) {
  const onError = vi.fn<(error: Error) => void>()
  const cache = createCache({ staleTime: 60_000, onError, models: { recommender: 'r2' } })
  let fetches = 0
  const observer = observe(cache, {
    ...query,
    fetcher: async () => {
      fetches += 1
      return `answer ${fetches}`
    },
  })
  const loaded = nextEvent(cache, (e) => e.type === 'updated' && e.entry.status === 'success', 'the first fetch')
  cleanups.push(observer.subscribe(() => {}))
  await loaded
  const invalidate = vi.spyOn(cache, 'invalidate')
  const stop = broadcastInvalidations(cache, { channel })
  cleanups.push(stop)
  return { cache, onError, invalidate, fetches: () => fetches, data: () => cache.get<string>(query.key)?.data }
}

describe('broadcastInvalidations between two caches', () => {
  it("an invalidation in one tab refetches the other tab's active entry exactly once, with no echo", async () => {
    const channel = freshChannelName('cachet-tabs')
    const a = await tab(channel)
    const b = await tab(channel)

    const bRefetched = nextEvent(b.cache, (e) => e.type === 'updated' && e.entry.data === 'answer 2', "b's refetch")
    await a.cache.invalidate({ tags: ['product:42'] })
    await bRefetched
    expect(b.invalidate).toHaveBeenCalledExactlyOnceWith({ tags: ['product:42'] }, { mode: 'stale' })

    // Each relay posts in order, so a later message from b proves b posted
    // nothing before it: had b echoed, `a` would see the echo first.
    const aHearsB = nextEvent(a.cache, invalidatedWithTag('from-b'), "b's later invalidation")
    const aHearsAnythingElse = vi.fn()
    cleanups.push(a.cache.subscribe((e) => e.type === 'invalidated' && !invalidatedWithTag('from-b')(e) && aHearsAnythingElse(e)))
    await b.cache.invalidate({ tags: ['from-b'] })
    await aHearsB
    expect(aHearsAnythingElse).not.toHaveBeenCalled()
    // ...and the same the other way round.
    const bHearsA = nextEvent(b.cache, invalidatedWithTag('from-a'), "a's later invalidation")
    await a.cache.invalidate({ tags: ['from-a'] })
    await bHearsA

    expect(a.invalidate.mock.calls.map(([target]) => target)).toEqual([{ tags: ['product:42'] }, { tags: ['from-b'] }, { tags: ['from-a'] }])
    expect(b.invalidate.mock.calls.map(([target]) => target)).toEqual([{ tags: ['product:42'] }, { tags: ['from-b'] }, { tags: ['from-a'] }])
    expect(a.fetches()).toBe(2)
    expect(b.fetches()).toBe(2)
    expect(b.data()).toBe('answer 2')
    expect(a.onError).not.toHaveBeenCalled()
    expect(b.onError).not.toHaveBeenCalled()
  })

  it("a model-version change in one tab reaches the other and refetches its answers of the old version", async () => {
    const channel = freshChannelName('cachet-tabs')
    const query = { key: ['answer'], model: 'recommender' }
    const a = await tab(channel, query)
    const b = await tab(channel, query)
    expect(b.cache.get(['answer'])?.modelVersion).toBe('r2')

    const bRefetched = nextEvent(b.cache, (e) => e.type === 'updated' && e.entry.data === 'answer 2', "b's refetch")
    a.cache.setModelVersion('recommender', 'r3', { policy: 'immediate' })
    await bRefetched
    expect(b.cache.get(['answer'])?.modelVersion).toBe('r3')
    expect(b.fetches()).toBe(2)
  })

  it('a bad message from another tab (another cachet version, say) changes nothing and reaches onError', async () => {
    const channel = freshChannelName('cachet-tabs')
    const b = await tab(channel)
    const other = new BroadcastChannel(channel)
    cleanups.push(() => other.close())
    const reported = new Promise<void>((resolve) => b.onError.mockImplementation(() => resolve()))
    other.postMessage({ type: 'invalidate', tags: 'product:42' })
    await reported
    expect(b.onError.mock.calls[0]![0].message).toMatch(/channel "cachet-tabs-.*": tags: expected array/)
    expect(b.invalidate).not.toHaveBeenCalled()
    expect(b.cache.get(['recs', 7])?.isStale).toBe(false)
  })

  it('a cache relayed twice on one channel (a hot reload, two app roots) applies each copy once and never echoes', async () => {
    const channel = freshChannelName('cachet-tabs')
    const cache = createCache()
    cleanups.push(broadcastInvalidations(cache, { channel }), broadcastInvalidations(cache, { channel }))
    const other = createCache()
    cleanups.push(broadcastInvalidations(other, { channel }))
    const count = (of: Cache, tag: string) => {
      let seen = 0
      cleanups.push(of.subscribe((event) => void (invalidatedWithTag(tag)(event) && seen++)))
      return () => seen
    }
    const here = count(cache, 'product:42')
    const there = count(other, 'product:42')

    // Each relay posts the invalidation, and each applies the other's copy.
    const applied = nthEvent(cache, invalidatedWithTag('product:42'), 3, 'both relayed copies')
    await cache.invalidate({ tags: ['product:42'] })
    await applied
    // An echo would have been posted while those copies were applied, so
    // before this marker: the other tab would see it before both markers.
    const markers = nthEvent(other, invalidatedWithTag('marker'), 2, 'the marker from both relays')
    await cache.invalidate({ tags: ['marker'] })
    await markers
    expect(there()).toBe(2)
    expect(here()).toBe(3)
  })
})
