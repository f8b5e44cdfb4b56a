// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Entry, QueryOptions } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

const FRESH = 60_000

describe('no stale overwrite (semantic 4)', () => {
  it('a fetch that lands after an invalidation is not fresh: the next use fetches again', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, call } = controlledFetcher<string>()
    const first = cache.fetch({ key: ['k'], fetcher })
    await flush()
    await vi.advanceTimersByTimeAsync(10)
    void cache.invalidate({ key: ['k'] })
    call(0).resolve('from-before')
    await first.catch(() => {})
    await flush()
    expect(cache.get(['k'])?.isStale).toBe(true)

    const next = cache.fetch({ key: ['k'], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2)
    call(1).resolve('from-after')
    await expect(next).resolves.toBe('from-after')
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it('a fetch() made after an invalidation is answered by a fetch that started after it', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const before = cache.fetch({ key: ['k'], fetcher })
    await flush()
    void cache.invalidate({ key: ['k'] })
    const after = track(cache.fetch({ key: ['k'], fetcher }))
    await flush()
    // Whether the core starts the second fetch now or once the first settles,
    // the first one's answer must not satisfy the later request.
    call(0).resolve('from-before')
    await before.catch(() => {})
    await flush()
    expect(after.settled).toBe(false)
    expect(calls).toHaveLength(2)
    call(1).resolve('from-after')
    await flush()
    expect(after).toEqual({ settled: true, value: 'from-after' })
    expect(cache.get(['k'])?.data).toBe('from-after')
  })

  it('a fetch that lands after a set() never overwrites the set data', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await flush()
    cache.set(['k'], 'written')
    call(0).resolve('late')
    await pending.catch(() => {})
    await flush()
    expect(cache.get(['k'])?.data).toBe('written')
    expect(cache.get(['k'])?.status).toBe('success')
  })

  it('a fetch that lands after a set() does not bump updatedAt or clear the set etag', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await flush()
    cache.set(['k'], 'written', { etag: '"w"' })
    const writtenAt = cache.get(['k'])?.updatedAt
    await vi.advanceTimersByTimeAsync(500)
    call(0).resolve('late')
    await pending.catch(() => {})
    await flush()
    expect(cache.get(['k'])?.updatedAt).toBe(writtenAt)
    expect(cache.get(['k'])?.etag).toBe('"w"')
  })

  it('a fetch that fails after a set() does not put the entry in error', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH, retry: 0 })
    const { fetcher, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await flush()
    cache.set(['k'], 'written')
    call(0).reject(new Error('late failure'))
    await pending.catch(() => {})
    await flush()
    expect(cache.get(['k'])?.status).toBe('success')
    expect(cache.get(['k'])?.error).toBeUndefined()
    expect(cache.get(['k'])?.data).toBe('written')
  })

  it('an older fetch never overwrites the result of a newer one, whichever lands first', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    cache.set(['k'], 'v0')
    const observer = observe(cache, { key: ['k'], fetcher })
    const seen: (Entry<string> | undefined)[] = []
    const detach = observer.subscribe(() => seen.push(observer.getSnapshot()))
    void cache.invalidate({ key: ['k'] }) // starts fetch #0 (active entry)
    await flush()
    expect(calls).toHaveLength(1)
    void cache.invalidate({ key: ['k'] }) // fetch #0 can no longer satisfy it
    await flush()
    if (calls.length === 2) {
      // The core started the newer fetch at once: let it land first.
      call(1).resolve('newer')
      await flush()
      call(0).resolve('older')
    } else {
      // The core waits for the older fetch, then runs the newer one.
      call(0).resolve('older')
      await flush()
      call(1).resolve('newer')
    }
    await flush()
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()?.data).toBe('newer')
    expect(observer.getSnapshot()?.isStale).toBe(false)
    expect(cache.get(['k'])?.data).toBe('newer')
    const lastSeen = seen.at(-1)
    expect(lastSeen?.data).toBe('newer')
    detach()
  })

  it('an older fetch that a caller still awaits never overwrites a newer fetch that landed first', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {}) // fetch #0 starts
    await flush()
    const awaited = cache.fetch({ key: ['k'], fetcher }) // keeps #0 from being aborted
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' })
    await flush()
    if (calls.length === 2) {
      call(1).resolve('newer')
      await flush()
      expect(observer.getSnapshot()?.data).toBe('newer')
      call(0).resolve('older')
    } else {
      call(0).resolve('older')
      await flush()
      call(1).resolve('newer')
    }
    await awaited.catch(() => {})
    await flush()
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()).toMatchObject({ data: 'newer', isStale: false, isFetching: false })
    expect(cache.get(['k'])?.data).toBe('newer')
    detach()
  })

  it('an invalidation during an observed fetch is followed by exactly one more fetch', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    expect(calls).toHaveLength(1)
    void cache.invalidate({ key: ['k'] })
    call(0).resolve('stale-answer')
    await flush()
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()?.isStale).toBe(true) // the first answer is not fresh
    call(1).resolve('fresh-answer')
    await flush()
    await vi.advanceTimersByTimeAsync(5_000)
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()?.data).toBe('fresh-answer')
    expect(observer.getSnapshot()?.isStale).toBe(false)
    detach()
  })

  it('three invalidations during one in-flight fetch cause exactly one more fetch', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    expect(calls).toHaveLength(1)

    const results = [
      track(cache.invalidate({ key: ['k'] })),
      track(cache.invalidate({ key: ['k'], exact: true })),
      track(cache.invalidate({})),
    ]
    await flush()
    // Answer every run that starts, in order, until the entry settles.
    for (let i = 0; i < 10 && i < calls.length; i++) {
      calls[i]?.resolve(`answer-${i}`)
      await flush()
    }
    await vi.advanceTimersByTimeAsync(5_000)
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()?.data).toBe('answer-1')
    expect(observer.getSnapshot()?.isStale).toBe(false)
    expect(results.map((r) => r.value)).toEqual([1, 1, 1])
    detach()
  })

  it('the invalidations during a fetch resolve only once the follow-up fetch settles', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    const a = track(cache.invalidate({ key: ['k'] }))
    const b = track(cache.invalidate({ key: ['k'] }))
    call(0).resolve('first')
    await flush()
    expect(calls).toHaveLength(2)
    expect(a.settled).toBe(false)
    expect(b.settled).toBe(false)
    call(1).resolve('second')
    await flush()
    expect(a).toEqual({ settled: true, value: 1 })
    expect(b).toEqual({ settled: true, value: 1 })
    detach()
  })

  it("a fetch that started before a mode 'remove' invalidation never shows its answer", async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    cache.set(['recs'], 'v0')
    const observer = observe(cache, { key: ['recs'], fetcher })
    const seen: (Entry<string> | undefined)[] = []
    const detach = observer.subscribe(() => seen.push(observer.getSnapshot()))
    void cache.invalidate({ key: ['recs'] }) // background refetch #0 starts
    await flush()
    expect(calls).toHaveLength(1)
    void cache.invalidate({ key: ['recs'] }, { mode: 'remove' })
    call(0).resolve('answer-from-before-removal')
    await flush()
    expect(calls).toHaveLength(2)
    expect(observer.getSnapshot()?.status).toBe('pending')
    call(1).resolve('answer-after-removal')
    await flush()
    expect(observer.getSnapshot()?.data).toBe('answer-after-removal')
    expect(seen.some((entry) => entry?.data === 'answer-from-before-removal')).toBe(false)
    expect(cache.get(['recs'])?.data).toBe('answer-after-removal')
    detach()
  })

  it("the same for a cache.fetch() on an entry nobody observes: its caller gets a fetch made after the removal", async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'v0')
    const { fetcher, calls, call } = controlledFetcher<string>()
    const pending = cache.fetch({ key: ['k'], fetcher })
    await flush()
    expect(calls).toHaveLength(1)
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' })
    call(0).resolve('answer-from-before-removal')
    await flush()
    expect(cache.get(['k'])?.data).toBeUndefined()
    expect(calls).toHaveLength(2)
    call(1).resolve('answer-after-removal')
    await expect(pending).resolves.toBe('answer-after-removal')
    expect(cache.get(['k'])?.data).toBe('answer-after-removal')
  })
})

describe('joining a fetch while it starts', () => {
  it('a fetch() from a cache event listener during the fetch start gets that fetch\'s data', async () => {
    const cache = createCache()
    const { fetcher, calls, call } = controlledFetcher<string>()
    const query = { key: ['recs'], fetcher }
    let joined: Promise<string> | undefined
    cache.subscribe((event) => {
      if (event.type === 'updated' && event.entry.isFetching && !joined) joined = cache.fetch(query)
    })
    const first = cache.fetch(query)
    expect(joined).toBeDefined()
    call(0).resolve('answer')
    await expect(first).resolves.toBe('answer')
    await expect(joined).resolves.toBe('answer')
    expect(calls).toHaveLength(1)
  })

  it('a fetch() of the same key from inside the fetcher joins it and gets its data', async () => {
    const cache = createCache()
    let inner: Promise<unknown> | undefined
    let calls = 0
    const query = {
      key: ['recs'],
      fetcher: () => {
        calls++
        inner ??= cache.fetch(query)
        return Promise.resolve('answer')
      },
    }
    await expect(cache.fetch(query)).resolves.toBe('answer')
    await expect(inner).resolves.toBe('answer')
    expect(calls).toBe(1)
  })
})

/** Listeners that fetch whatever goes stale: user code the cache calls while it works. */
function refetchWhenStale(cache: ReturnType<typeof createCache>, query: QueryOptions<string>) {
  return cache.subscribe((event) => {
    if (event.type === 'updated' && event.entry.isStale && !event.entry.isFetching) void cache.fetch(query)
  })
}

describe('user code that calls the cache back while it works', () => {
  it('a fetch a listener starts while invalidate() marks the entry is the refetch: the fetcher runs once', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const query = { key: ['k'], fetcher }
    const detach = observe(cache, query).subscribe(() => {})
    call(0).resolve('v0')
    await flush()
    refetchWhenStale(cache, query)
    const invalidated = track(cache.invalidate({ key: ['k'] }))
    expect(calls).toHaveLength(2)
    call(1).resolve('v1')
    await flush()
    expect(cache.get(['k'])?.data).toBe('v1')
    expect(invalidated).toEqual({ settled: true, value: 1 })
    detach()
  })

  it("the same through setModelVersion(…, { policy: 'immediate' })", async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { m: 'v1' } })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const query = { key: ['k'], fetcher, model: 'm' }
    const detach = observe(cache, query).subscribe(() => {})
    call(0).resolve('from v1')
    await flush()
    refetchWhenStale(cache, query)
    cache.setModelVersion('m', 'v2', { policy: 'immediate' })
    expect(calls).toHaveLength(2)
    detach()
  })

  it('an invalidation during a fetch settles when a listener refetches as that fetch lands', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const query = { key: ['k'], fetcher }
    const detach = observe(cache, query).subscribe(() => {})
    await flush()
    refetchWhenStale(cache, query)
    const invalidated = track(cache.invalidate({ key: ['k'] }))
    call(0).resolve('before')
    await flush()
    // The listener's fetch started after the invalidation: it is the one follow-up.
    expect(calls).toHaveLength(2)
    expect(invalidated.settled).toBe(false)
    call(1).resolve('after')
    await flush()
    expect(cache.get(['k'])?.data).toBe('after')
    expect(invalidated).toEqual({ settled: true, value: 1 })
    detach()
  })

  it('the same when onError refetches after an invalidated fetch fails', async () => {
    let cache!: ReturnType<typeof createCache>
    const { fetcher, calls, call } = controlledFetcher<string>()
    const query = { key: ['k'], fetcher, retry: 0 }
    cache = createCache({ now: () => Date.now(), staleTime: FRESH, onError: () => void cache.fetch(query).catch(() => {}) })
    const detach = observe(cache, query).subscribe(() => {})
    await flush()
    const invalidated = track(cache.invalidate({ key: ['k'] }))
    call(0).reject(new Error('down'))
    await flush()
    expect(calls).toHaveLength(2)
    call(1).resolve('after')
    await flush()
    expect(invalidated).toEqual({ settled: true, value: 1 })
    detach()
  })

  it('a fetcher that clears the cache before its first await still answers its caller', async () => {
    const cache = createCache({ now: () => Date.now() })
    const fetching = cache.fetch({
      key: ['logout'],
      fetcher: () => {
        cache.clear()
        return Promise.resolve('ok')
      },
    })
    await expect(fetching).resolves.toBe('ok')
    expect(cache.get(['logout'])).toBeUndefined()
  })

  it("a refetch() is not aborted when a listener removes the entry as the fetch starts (mode 'remove')", async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH })
    const { fetcher, calls } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    cache.set(['k'], 'v0')
    const detach = observer.subscribe(() => {})
    let once = false
    cache.subscribe((event) => {
      if (event.type === 'updated' && event.entry.isFetching && !once) {
        once = true
        void cache.invalidate({ key: ['k'] }, { mode: 'remove' })
      }
    })
    const result = track(observer.refetch())
    await flush()
    for (const run of calls) run.resolve('fresh')
    await flush()
    expect(result).toEqual({ settled: true, value: 'fresh' })
    detach()
  })

  it('an entry a removed listener sets during clear() is still garbage-collected', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1_000 })
    cache.set(['a'], 1)
    let reseeded = false
    cache.subscribe((event) => {
      if (event.type === 'removed' && !reseeded) {
        reseeded = true
        cache.set(['defaults'], { theme: 'dark' })
      }
    })
    cache.clear()
    expect(cache.get(['defaults'])?.data).toEqual({ theme: 'dark' })
    await vi.advanceTimersByTimeAsync(1_000)
    expect(cache.get(['defaults'])).toBeUndefined()
  })

  it('a schema that writes the entry while it parses is not overwritten by the fetch it parses', async () => {
    const cache = createCache({ now: () => Date.now() })
    const schema = {
      safeParse(value: unknown) {
        cache.set(['k'], 'written by the schema')
        return { success: true as const, data: value as string }
      },
    }
    await cache.fetch({ key: ['k'], fetcher: async () => 'fetched', schema }).catch(() => {})
    expect(cache.get(['k'])?.data).toBe('written by the schema')
  })
})
