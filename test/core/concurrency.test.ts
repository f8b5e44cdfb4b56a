// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { FetchContext } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

/** A fetcher that takes `ms` of (fake) time and records how many run at once. */
function meteredFetcher(ms: number) {
  const meter = { running: 0, max: 0, runs: 0 }
  const fetcher = vi.fn(async (ctx: FetchContext) => {
    meter.runs++
    meter.running++
    meter.max = Math.max(meter.max, meter.running)
    try {
      await new Promise((resolve) => setTimeout(resolve, ms))
      return `${JSON.stringify(ctx.key)}#${meter.runs}`
    } finally {
      meter.running--
    }
  })
  return { fetcher, meter }
}

describe('concurrency (semantic 6)', () => {
  it('never runs more than 4 fetchers when 500 active entries are invalidated under maxConcurrentFetches: 4', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000, maxConcurrentFetches: 4 })
    const { fetcher, meter } = meteredFetcher(10)
    const detaches: (() => void)[] = []
    for (let i = 0; i < 500; i++) {
      cache.set(['item', i], `seed-${i}`, { tags: ['catalog'] })
      detaches.push(observe(cache, { key: ['item', i], fetcher }).subscribe(() => {}))
    }
    await flush()
    expect(meter.runs).toBe(0) // all fresh: mounting fetched nothing

    const done = cache.invalidate({ tags: ['catalog'] })
    await flush()
    expect(meter.running).toBe(4)
    expect(cache.stats().inFlight).toBe(4)
    expect(cache.stats().queued).toBe(496)

    await vi.advanceTimersByTimeAsync(500 / 4 * 10 + 100)
    await expect(done).resolves.toBe(500)
    expect(meter.runs).toBe(500)
    expect(meter.max).toBe(4)
    expect(cache.stats()).toMatchObject({ inFlight: 0, queued: 0 })
    for (let i = 0; i < 500; i++) expect(cache.get(['item', i])?.isStale).toBe(false)
    detaches.forEach((detach) => detach())
  })

  it('limits fetch() calls too, and starts queued fetches in FIFO order', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 2 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const results = ['a', 'b', 'c', 'd', 'e'].map((name) => cache.fetch({ key: [name], fetcher }))
    await flush()
    expect(calls.map((c) => c.ctx.key[0])).toEqual(['a', 'b'])
    expect(cache.stats()).toMatchObject({ inFlight: 2, queued: 3 })
    call(1).resolve('B')
    await flush()
    expect(calls.map((c) => c.ctx.key[0])).toEqual(['a', 'b', 'c'])
    call(0).resolve('A')
    await flush()
    expect(calls.map((c) => c.ctx.key[0])).toEqual(['a', 'b', 'c', 'd'])
    call(2).resolve('C')
    call(3).resolve('D')
    await flush()
    call(4).resolve('E')
    await expect(Promise.all(results)).resolves.toEqual(['A', 'B', 'C', 'D', 'E'])
  })

  it('frees a slot when a fetcher fails', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1, retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const first = cache.fetch({ key: ['a'], fetcher })
    const second = cache.fetch({ key: ['b'], fetcher })
    await flush()
    expect(calls).toHaveLength(1)
    call(0).reject(new Error('down'))
    await expect(first).rejects.toThrow('down')
    await flush()
    expect(calls).toHaveLength(2)
    call(1).resolve('ok')
    await expect(second).resolves.toBe('ok')
  })

  it('shows a queued entry as fetching and dedups requests while it waits in the queue', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const a = cache.fetch({ key: ['a'], fetcher })
    const b1 = cache.fetch({ key: ['b'], fetcher })
    const b2 = cache.fetch({ key: ['b'], fetcher })
    await flush()
    expect(calls).toHaveLength(1)
    expect(cache.get(['b'])?.isFetching).toBe(true)
    call(0).resolve('A')
    await flush()
    call(1).resolve('B')
    await expect(Promise.all([a, b1, b2])).resolves.toEqual(['A', 'B', 'B'])
    expect(calls).toHaveLength(2)
  })

  it('an invalidation of an entry whose fetch still waits in the queue costs no second fetch', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1, staleTime: 60_000 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    observe(cache, { key: ['a'], fetcher }).subscribe(() => {})
    observe(cache, { key: ['b'], fetcher }).subscribe(() => {}) // queued behind a
    await flush()
    expect(calls.map((c) => c.ctx.key)).toEqual([['a']])
    // Two bursts of invalidations while b waits: its fetcher has not run, so its answer
    // will be newer than both; a's fetch is running, so a owes one follow-up.
    const first = track(cache.invalidate({ key: ['b'] }))
    const second = track(cache.invalidate({}))
    call(0).resolve('a, from before')
    await flush()
    expect(calls.map((c) => c.ctx.key)).toEqual([['a'], ['b']])
    call(1).resolve('b')
    await flush()
    expect(cache.get(['b'])).toMatchObject({ data: 'b', isStale: false })
    expect(first).toEqual({ settled: true, value: 1 })
    call(2).resolve('a')
    await flush()
    expect(calls.map((c) => c.ctx.key)).toEqual([['a'], ['b'], ['a']])
    expect(second).toEqual({ settled: true, value: 2 })
    expect(cache.get(['a'])).toMatchObject({ data: 'a', isStale: false })
  })

  it('a queued fetch that a set superseded still counts as before an invalidation: a caller after it gets a fetch made after it', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1, retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['a'], fetcher }) // holds the only slot
    observe(cache, { key: ['b'], fetcher }).subscribe(() => {}) // b's fetch waits in the queue
    cache.set(['b'], 'set') // supersedes it: its answer will be dropped for this data
    void cache.invalidate({ key: ['b'] }) // …which this invalidates
    const after = track(cache.fetch({ key: ['b'], fetcher }))
    await flush()
    call(0).resolve('a')
    await flush()
    expect(after).toEqual({ settled: false }) // not the invalidated 'set'
    // The superseded fetch never called its fetcher; the one owed to the invalidation did.
    expect(calls.map((c) => c.ctx.key)).toEqual([['a'], ['b']])
    call(1).resolve('b')
    await flush()
    expect(after).toEqual({ settled: true, value: 'b' })
  })

  it('a fetch that a set superseded while it waited in the queue never calls its fetcher', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1, staleTime: 60_000 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['a'], fetcher }) // holds the only slot
    observe(cache, { key: ['b'], fetcher }).subscribe(() => {})
    const waiting = track(cache.fetch({ key: ['b'], fetcher })) // b's fetch waits in the queue
    cache.set(['b'], 'pushed') // say, a server event
    call(0).resolve('a')
    await flush()
    expect(calls.map((c) => c.ctx.key)).toEqual([['a']])
    expect(waiting).toEqual({ settled: true, value: 'pushed' })
    expect(cache.get(['b'])).toMatchObject({ data: 'pushed', isFetching: false, isStale: false })
    expect(cache.stats()).toMatchObject({ fetches: 1, inFlight: 0, queued: 0 })
  })

  it('a remove-mode invalidation of an entry whose fetch waits in the queue keeps its place: no starvation, no second fetch', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1, staleTime: 60_000 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['a'], fetcher }) // holds the only slot
    cache.set(['b'], 'old b')
    void cache.invalidate({ key: ['b'] })
    observe(cache, { key: ['b'], fetcher }).subscribe(() => {}) // stale: its refetch waits behind a
    observe(cache, { key: ['c'], fetcher }).subscribe(() => {}) // …and c's behind it
    await flush()
    // Server events drop b's data again and again while its fetch waits: that fetch
    // has not called its fetcher, so its answer will come after every one of them.
    const removes = [1, 2, 3].map(() => track(cache.invalidate({ key: ['b'] }, { mode: 'remove' })))
    expect(cache.get(['b'])).toMatchObject({ data: undefined, status: 'pending', isFetching: true })
    expect(cache.stats()).toMatchObject({ inFlight: 1, queued: 2 })
    call(0).resolve('a')
    await flush()
    expect(calls.map((started) => started.ctx.key[0])).toEqual(['a', 'b']) // first in, first out
    expect(calls[1]!.ctx.etag).toBeUndefined()
    call(1).resolve('new b')
    await flush()
    expect(cache.get(['b'])).toMatchObject({ data: 'new b', isStale: false })
    for (const removed of removes) expect(removed).toEqual({ settled: true, value: 1 })
    expect(calls.map((started) => started.ctx.key[0])).toEqual(['a', 'b', 'c'])
  })

  it('a remove-mode invalidation after a set that superseded a queued fetch makes that fetch the refetch, in its place', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['a'], fetcher }) // holds the only slot
    observe(cache, { key: ['b'], fetcher }).subscribe(() => {}) // waits behind a
    observe(cache, { key: ['c'], fetcher }).subscribe(() => {}) // …and c behind b
    cache.set(['b'], 'pushed') // a server event (or an optimistic write)
    const removed = track(cache.invalidate({ key: ['b'] }, { mode: 'remove' })) // …then dropped
    await flush()
    call(0).resolve('a')
    await flush()
    expect(calls.map((started) => started.ctx.key[0])).toEqual(['a', 'b'])
    call(1).resolve('b')
    await flush()
    expect(cache.get(['b'])).toMatchObject({ data: 'b', status: 'success' })
    expect(removed).toEqual({ settled: true, value: 1 })
    expect(calls.map((started) => started.ctx.key[0])).toEqual(['a', 'b', 'c'])
  })

  it('gives back the place of a fetch aborted while it waited in the queue', async () => {
    const cache = createCache({ now: () => Date.now(), maxConcurrentFetches: 1 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const a = cache.fetch({ key: ['a'], fetcher })
    const detachB = observe(cache, { key: ['b'], fetcher }).subscribe(() => {})
    await flush()
    expect(cache.stats()).toMatchObject({ inFlight: 1, queued: 1 })
    detachB() // its last observer leaves: aborted while queued
    await flush()
    expect(cache.stats()).toMatchObject({ inFlight: 1, queued: 0 })
    call(0).resolve('A')
    await expect(a).resolves.toBe('A')
    const c = cache.fetch({ key: ['c'], fetcher })
    await flush()
    expect(calls.map((started) => started.ctx.key[0])).toEqual(['a', 'c'])
    call(1).resolve('C')
    await expect(c).resolves.toBe('C')
    expect(cache.stats()).toMatchObject({ inFlight: 0, queued: 0 })
  })
})
