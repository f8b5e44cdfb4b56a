// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent, Entry, InvalidationTarget } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

const FRESH = 60_000

/** A cache holding a spread of entries, all fresh. */
function populated() {
  const cache = createCache({
    now: () => Date.now(),
    staleTime: FRESH,
    models: { recommender: 'r1', ranker: 'k1' },
  })
  cache.set(['recs', 7], 'recs-7', { tags: ['product:42'], model: 'recommender', segment: 'arm:a' })
  cache.set(['recs', 8], 'recs-8', { tags: ['product:43'], model: 'recommender', segment: 'arm:b' })
  cache.set(['recs', { user: 7, page: 1 }], 'recs-obj', { model: 'ranker' })
  cache.set(['product', 42], 'p42', { tags: ['product:42', 'inventory'] })
  cache.set(['product', 43], 'p43', { tags: ['inventory'], segment: 'arm:a' })
  cache.set(['recsx'], 'not-a-prefix-match')
  return cache
}

const ALL_KEYS: { key: unknown[]; segment?: string }[] = [
  { key: ['recs', 7], segment: 'arm:a' },
  { key: ['recs', 8], segment: 'arm:b' },
  { key: ['recs', { user: 7, page: 1 }] },
  { key: ['product', 42] },
  { key: ['product', 43], segment: 'arm:a' },
  { key: ['recsx'] },
]

/** Which entries are stale right after `invalidate(target)` returns. */
function staleAfter(target: InvalidationTarget | undefined) {
  const cache = populated()
  const count = target === undefined ? cache.invalidate() : cache.invalidate(target)
  const stale = ALL_KEYS.filter(({ key, segment }) => cache.get(key, segment)?.isStale).map(
    ({ key, segment }) => JSON.stringify(key) + (segment ? `@${segment}` : ''),
  )
  return { stale, count }
}

describe('invalidate() (semantic 3)', () => {
  it('marks matches stale synchronously, before it returns', () => {
    const cache = populated()
    expect(cache.get(['product', 42])?.isStale).toBe(false)
    const pending = cache.invalidate({ key: ['product', 42] })
    expect(cache.get(['product', 42])?.isStale).toBe(true)
    expect(cache.get(['product', 43], 'arm:a')?.isStale).toBe(false)
    void pending
  })

  it('resolves to the number of entries matched', async () => {
    const cache = populated()
    await expect(cache.invalidate({ tags: ['inventory'] })).resolves.toBe(2)
    await expect(cache.invalidate({ key: ['nothing'] })).resolves.toBe(0)
  })

  describe('target matching', () => {
    it('matches keys by prefix, element by element', async () => {
      const { stale, count } = staleAfter({ key: ['recs'] })
      expect(stale).toEqual(['["recs",7]@arm:a', '["recs",8]@arm:b', '["recs",{"user":7,"page":1}]'])
      await expect(count).resolves.toBe(3)
    })

    it('compares key elements deeply, ignoring object field order', async () => {
      const { stale, count } = staleAfter({ key: ['recs', { page: 1, user: 7 }] })
      expect(stale).toEqual(['["recs",{"user":7,"page":1}]'])
      await expect(count).resolves.toBe(1)
    })

    it('with exact: true matches only the whole key', async () => {
      const cache = populated()
      cache.set(['recs'], 'the-list')
      const count = cache.invalidate({ key: ['recs'], exact: true })
      expect(cache.get(['recs'])?.isStale).toBe(true)
      expect(cache.get(['recs', 7], 'arm:a')?.isStale).toBe(false)
      await expect(count).resolves.toBe(1)
    })

    it('keeps matching key prefixes (one element: scanned; more: indexed) as entries come and go', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, gcTime: 1000 })
      cache.set(['product', 42], 'p42')
      cache.set(['product', 43], 'p43', { segment: 'arm:a' })
      await expect(cache.invalidate({ key: ['product'] })).resolves.toBe(2)
      vi.advanceTimersByTime(1000) // both collected
      expect(cache.stats().entries).toBe(0)
      cache.set(['product', 44, 'reviews'], 'r44', { segment: 'arm:b' })
      cache.set(['product', 42], 'p42-again')
      cache.set(['recs', 7], 'recs-7')
      const count = cache.invalidate({ key: ['product'] })
      expect(cache.get(['product', 44, 'reviews'], 'arm:b')?.isStale).toBe(true)
      expect(cache.get(['product', 42])?.isStale).toBe(true)
      expect(cache.get(['recs', 7])?.isStale).toBe(false)
      await expect(count).resolves.toBe(2)
      await expect(cache.invalidate({ key: ['product', 44] })).resolves.toBe(1)
      vi.advanceTimersByTime(1000)
      expect(cache.stats().entries).toBe(0)
      await expect(cache.invalidate({ key: ['product', 44] })).resolves.toBe(0)
      cache.set(['product', 44, 'questions'], 'q44')
      await expect(cache.invalidate({ key: ['product', 44] })).resolves.toBe(1)
      cache.clear()
      await expect(cache.invalidate({ key: ['product'] })).resolves.toBe(0)
      await expect(cache.invalidate({ key: ['product', 44] })).resolves.toBe(0)
    })

    it('with a key and no segment matches that key in every segment, and none', async () => {
      const cache = populated()
      cache.set(['product', 43], 'p43-everyone')
      const count = cache.invalidate({ key: ['product', 43], exact: true })
      expect(cache.get(['product', 43])?.isStale).toBe(true)
      expect(cache.get(['product', 43], 'arm:a')?.isStale).toBe(true)
      expect(cache.get(['product', 42])?.isStale).toBe(false)
      await expect(count).resolves.toBe(2)
    })

    it('matches entries that list ANY of the given tags', async () => {
      const { stale, count } = staleAfter({ tags: ['product:43', 'inventory'] })
      expect(stale).toEqual(['["recs",8]@arm:b', '["product",42]', '["product",43]@arm:a'])
      await expect(count).resolves.toBe(3)
    })

    it('matches the segment exactly', async () => {
      const { stale, count } = staleAfter({ segment: 'arm:a' })
      expect(stale).toEqual(['["recs",7]@arm:a', '["product",43]@arm:a'])
      await expect(count).resolves.toBe(2)
    })

    it('matches by model', async () => {
      const { stale, count } = staleAfter({ model: 'recommender' })
      expect(stale).toEqual(['["recs",7]@arm:a', '["recs",8]@arm:b'])
      await expect(count).resolves.toBe(2)
    })

    it('matches by predicate, given each entry', async () => {
      const seen: Entry<unknown>[] = []
      const { stale, count } = staleAfter({
        predicate: (entry) => {
          seen.push(entry)
          return entry.data === 'p43'
        },
      })
      expect(stale).toEqual(['["product",43]@arm:a'])
      expect(seen.map((entry) => entry.data).sort()).toContain('p43')
      await expect(count).resolves.toBe(1)
    })

    it('ANDs every given field', async () => {
      const { stale, count } = staleAfter({ tags: ['product:42', 'inventory'], segment: 'arm:a' })
      expect(stale).toEqual(['["recs",7]@arm:a', '["product",43]@arm:a'])
      await expect(count).resolves.toBe(2)
      const keyAndTag = staleAfter({ key: ['product'], tags: ['product:42'] })
      expect(keyAndTag.stale).toEqual(['["product",42]'])
    })

    it('checks every field besides the indexed one: a prefix or tag with a segment, model or predicate', async () => {
      const cache = populated()
      cache.set(['recs', 7], 'recs-7-everyone', { tags: ['product:42'], model: 'recommender' })
      const bySegment = staleAfter({ key: ['recs', 7], segment: 'arm:a' })
      expect(bySegment.stale).toEqual(['["recs",7]@arm:a'])
      expect(staleAfter({ key: ['recs', 7], model: 'ranker' }).stale).toEqual([])
      expect(staleAfter({ tags: ['inventory'], predicate: (entry) => entry.data === 'p42' }).stale).toEqual(['["product",42]'])
      // Fields given as undefined name nothing: the index alone answers.
      expect(staleAfter({ tags: ['inventory'], segment: undefined, exact: false }).stale).toEqual(['["product",42]', '["product",43]@arm:a'])
      const count = cache.invalidate({ key: ['recs', 7], exact: true, segment: 'arm:a' })
      expect(cache.get(['recs', 7])?.isStale).toBe(false)
      await expect(count).resolves.toBe(1)
    })

    it('matches every entry with {} and with no target', async () => {
      const withEmpty = staleAfter({})
      expect(withEmpty.stale).toHaveLength(ALL_KEYS.length)
      await expect(withEmpty.count).resolves.toBe(ALL_KEYS.length)
      const withNone = staleAfter(undefined)
      expect(withNone.stale).toHaveLength(ALL_KEYS.length)
      await expect(withNone.count).resolves.toBe(ALL_KEYS.length)
    })
  })

  it('does not refetch entries without observers; they refetch on next use', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const fetcher = vi.fn(async () => 'v')
    await cache.fetch({ key: ['k'], fetcher })
    await expect(cache.invalidate({ key: ['k'] })).resolves.toBe(1)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
    await cache.fetch({ key: ['k'], fetcher })
    expect(fetcher).toHaveBeenCalledTimes(2)
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it('refetches entries with observers in the background and resolves once those refetches settle', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, call } = controlledFetcher<string>()
    cache.set(['k'], 'old')
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    expect(fetcher).not.toHaveBeenCalled() // fresh: mounting does not fetch

    const done = track(cache.invalidate({ key: ['k'] }))
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(observer.getSnapshot()?.data).toBe('old') // stale data stays visible
    expect(done.settled).toBe(false) // not before the refetch settles

    call(0).resolve('new')
    await flush()
    expect(done).toEqual({ settled: true, value: 1 })
    expect(observer.getSnapshot()?.data).toBe('new')
    expect(observer.getSnapshot()?.isStale).toBe(false)
    detach()
  })

  it('does not refetch an entry whose only observer is disabled (enabled: false)', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const fetcher = vi.fn(async () => 'new')
    cache.set(['k'], 'old')
    const observer = observe(cache, { key: ['k'], fetcher, enabled: false })
    const detach = observer.subscribe(() => {})
    await flush()
    await expect(cache.invalidate({ key: ['k'] })).resolves.toBe(1)
    await flush()
    expect(fetcher).not.toHaveBeenCalled()
    expect(observer.getSnapshot()).toMatchObject({ data: 'old', isStale: true })
    detach()
  })

  it('resolves (does not reject) when a triggered refetch fails', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH, retry: 0 })
    cache.set(['k'], 'old')
    const observer = observe(cache, { key: ['k'], fetcher: async () => Promise.reject(new Error('down')) })
    const detach = observer.subscribe(() => {})
    await flush()
    await expect(cache.invalidate({ key: ['k'] })).resolves.toBe(1)
    expect(observer.getSnapshot()?.error?.message).toContain('down')
    detach()
  })

  it('emits an invalidated event with target, mode and count', async () => {
    const cache = populated()
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    await cache.invalidate({ tags: ['inventory'] }, { mode: 'stale' })
    expect(events.filter((event) => event.type === 'invalidated')).toEqual([
      { type: 'invalidated', target: { tags: ['inventory'] }, mode: 'stale', count: 2 },
    ])
  })

  describe("mode: 'remove'", () => {
    it('drops the data of matched entries without observers', async () => {
      const cache = populated()
      await expect(cache.invalidate({ key: ['product', 42] }, { mode: 'remove' })).resolves.toBe(1)
      expect(cache.get(['product', 42])?.data).toBeUndefined()
      expect(cache.get(['product', 43], 'arm:a')?.data).toBe('p43')
    })

    it('sends an observer back to pending; it never sees the removed value again', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
      const { fetcher, call } = controlledFetcher<string>()
      cache.set(['recs'], 'out-of-stock')
      const observer = observe(cache, { key: ['recs'], fetcher })
      const seen: (Entry<string> | undefined)[] = []
      const detach = observer.subscribe(() => seen.push(observer.getSnapshot()))
      await flush()
      expect(observer.getSnapshot()?.data).toBe('out-of-stock')

      const done = cache.invalidate({ key: ['recs'] }, { mode: 'remove' })
      // At once, not only after the next notification.
      expect(observer.getSnapshot()?.data).toBeUndefined()
      expect(observer.getSnapshot()?.status).toBe('pending')
      await flush()
      expect(fetcher).toHaveBeenCalledTimes(1)
      expect(observer.getSnapshot()?.status).toBe('pending')
      call(0).resolve('in-stock')
      await expect(done).resolves.toBe(1)
      await flush()
      expect(observer.getSnapshot()?.data).toBe('in-stock')
      expect(seen.length).toBeGreaterThan(0)
      expect(seen.some((entry) => entry?.data === 'out-of-stock')).toBe(false)
      detach()
    })

    it('emits the invalidated event with mode remove', async () => {
      const cache = populated()
      const events: CacheEvent[] = []
      cache.subscribe((event) => events.push(event))
      await cache.invalidate({ segment: 'arm:b' }, { mode: 'remove' })
      expect(events).toContainEqual({
        type: 'invalidated',
        target: { segment: 'arm:b' },
        mode: 'remove',
        count: 1,
      })
    })
  })
})
