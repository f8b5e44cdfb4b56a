// @vitest-environment node
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Cache } from '../../src/core/types'
import { applyOptimistic } from '../../src/react/optimistic'
import { deferred, type Deferred } from '../helpers/deferred'

// A failed mutation leaves the entry as it was: the old data with its old age,
// an invalidation that hit it meanwhile still in force, and a fetch that
// started after the optimistic write (it reads newer data) still running.

interface Post {
  likes: number
  title?: string
}

const like = (old: unknown) => ({ ...(old as Post), likes: (old as Post).likes + 1 })

/** A fetcher whose every call waits for the test. */
function serverFetcher() {
  const calls: Deferred<Post>[] = []
  const fetcher = vi.fn(() => {
    const call = deferred<Post>()
    calls.push(call)
    return call.promise
  })
  return { fetcher, calls }
}

/** An observed ['post'] loaded with `first` at clock 1000. */
async function observedPost(cache: Cache, first: Post, staleTime: number) {
  const { fetcher, calls } = serverFetcher()
  const observer = observe(cache, { key: ['post'], fetcher, staleTime })
  const off = observer.subscribe(() => {})
  await vi.advanceTimersByTimeAsync(0)
  calls[0]!.resolve(first)
  await vi.advanceTimersByTimeAsync(0)
  return { fetcher, calls, off, observer }
}

describe('optimistic rollback', () => {
  let clock = 1000
  beforeEach(() => {
    clock = 1000
    vi.useFakeTimers()
  })
  afterEach(() => void vi.useRealTimers())

  it('gives the old data back its old age: data stale before the mutation is stale after its rollback', async () => {
    const cache = createCache({ staleTime: 10_000, now: () => clock })
    cache.set(['post'], { likes: 1 })
    clock = 20_000
    expect(cache.get(['post'])?.isStale).toBe(true)
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    clock = 20_500
    layer.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1 }, updatedAt: 1000, isStale: true })
    // Its next use asks the server, as it would have without the mutation.
    const fetcher = vi.fn(async () => ({ likes: 3 }))
    await expect(cache.fetch({ key: ['post'], fetcher })).resolves.toEqual({ likes: 3 })
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('a rollback never makes the entry fresher than before the mutation, also with another update pending', () => {
    const cache = createCache({ staleTime: 10_000, now: () => clock })
    cache.set(['post'], { likes: 1 })
    clock = 5000
    const a = applyOptimistic(cache, ['post'], undefined, like)
    const b = applyOptimistic(cache, ['post'], undefined, like)
    clock = 12_000
    a.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 2 }, updatedAt: 1000, isStale: true })
    b.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1 }, updatedAt: 1000, isStale: true })
  })

  it('after a write from elsewhere that kept the change, a rollback keeps that write\'s age', () => {
    const cache = createCache({ staleTime: 10_000, now: () => clock })
    cache.set(['post'], { likes: 1, title: 'a' })
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    clock = 3000
    cache.set<Post>(['post'], (old) => ({ ...old!, title: 'b' })) // a server event: a new title
    clock = 4000
    layer.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1, title: 'b' }, updatedAt: 3000, isStale: false })
  })

  it('keeps an invalidation that hit the entry during the mutation (unobserved)', () => {
    const cache = createCache({ staleTime: Infinity, now: () => clock })
    cache.set(['post'], { likes: 1 })
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    void cache.invalidate({ key: ['post'] })
    layer.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1 }, isStale: true })
  })

  it('lets a refetch that started after the optimistic write land: no extra round trip, and invalidate() resolves with its data', async () => {
    const cache = createCache({ staleTime: 60_000, retry: 0, now: () => clock })
    const { fetcher, calls, off } = await observedPost(cache, { likes: 1 }, 60_000)
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    let seenWhenDone: unknown
    // Someone else's change: its refetch reads after the optimistic write.
    void cache.invalidate({ key: ['post'] }).then(() => (seenWhenDone = cache.get(['post'])?.data))
    await vi.advanceTimersByTimeAsync(0)
    expect(fetcher).toHaveBeenCalledTimes(2)
    layer.rollback()
    expect(cache.get(['post'])?.data).toEqual({ likes: 1 })
    calls[1]!.resolve({ likes: 7 })
    await vi.advanceTimersByTimeAsync(0)
    expect(seenWhenDone).toEqual({ likes: 7 })
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 7 }, isStale: false, isFetching: false })
    expect(fetcher).toHaveBeenCalledTimes(2)
    off()
  })

  for (const outcome of ['confirmed', 'rolled back'] as const) {
    it(`owes no refetch once a write from elsewhere kept the change (${outcome})`, async () => {
      const cache = createCache({ staleTime: 60_000, retry: 0, now: () => clock })
      const { fetcher, calls, off } = await observedPost(cache, { likes: 1, title: 'a' }, 60_000)
      void cache.invalidate({ key: ['post'] }) // its refetch is in flight
      await vi.advanceTimersByTimeAsync(0)
      const layer = applyOptimistic(cache, ['post'], undefined, like) // drops that refetch: owes it
      calls[1]!.resolve({ likes: 1, title: 'a' })
      await vi.advanceTimersByTimeAsync(0)
      // A server event: the post as the server has it now, with the like and a new title.
      cache.set(['post'], { likes: 2, title: 'b' })
      if (outcome === 'confirmed') layer.confirm()
      else layer.rollback()
      await vi.advanceTimersByTimeAsync(0)
      expect(fetcher).toHaveBeenCalledTimes(2)
      expect(cache.get(['post'])).toMatchObject({ isStale: false, isFetching: false })
      off()
    })
  }

  it('owes no refetch to an entry whose fetch started after the optimistic write (it reads newer data), when the mutation fails', async () => {
    const cache = createCache({ staleTime: 60_000, retry: 0, now: () => clock })
    const { fetcher, calls, off, observer } = await observedPost(cache, { likes: 1 }, 60_000)
    void cache.invalidate({ key: ['post'] })
    await vi.advanceTimersByTimeAsync(0)
    const layer = applyOptimistic(cache, ['post'], undefined, like) // drops that refetch: owes it
    calls[1]!.resolve({ likes: 1 })
    await vi.advanceTimersByTimeAsync(0)
    const refetch = observer.refetch().catch(() => {}) // a pull to refresh: it reads after the write
    await vi.advanceTimersByTimeAsync(0)
    expect(fetcher).toHaveBeenCalledTimes(3)
    layer.rollback()
    calls[2]!.resolve({ likes: 4 })
    await refetch
    await vi.advanceTimersByTimeAsync(0)
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 4 }, isStale: false, isFetching: false })
    expect(fetcher).toHaveBeenCalledTimes(3)
    off()
  })
})

describe('optimistic rollback and etags', () => {
  it("gives the data its etag back once it is the server's data again, so the next refetch can be a 304", async () => {
    const cache = createCache()
    cache.set(['post'], { likes: 1 }, { etag: 'W/"1"' })
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    expect(cache.get(['post'])?.etag).toBeUndefined()
    layer.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1 }, etag: 'W/"1"' })
    const fetcher = vi.fn(async (ctx: { etag: string | undefined }) => ({ likes: ctx.etag === 'W/"1"' ? 1 : -1 }))
    await cache.fetch({ key: ['post'], fetcher })
    expect(fetcher).toHaveBeenCalledWith(expect.objectContaining({ etag: 'W/"1"' }))
  })

  it('does not give a merged value an etag: no server sent it', () => {
    const cache = createCache()
    cache.set(['post'], { likes: 1, title: 'a' }, { etag: 'W/"1"' })
    const layer = applyOptimistic(cache, ['post'], undefined, like)
    cache.set<Post>(['post'], (old) => ({ ...old!, title: 'b' }), { etag: 'W/"2"' })
    layer.rollback()
    expect(cache.get(['post'])).toMatchObject({ data: { likes: 1, title: 'b' }, etag: undefined })
  })
})

describe('optimistic rollback onto no data', () => {
  beforeEach(() => void vi.useFakeTimers())
  afterEach(() => void vi.useRealTimers())

  it('lets a refetch that started after the optimistic write land: the entry goes back to pending, fetching, with no extra round trip', async () => {
    const cache = createCache({ staleTime: 60_000, retry: 0 })
    const calls: Deferred<string[]>[] = []
    const fetcher = vi.fn(() => {
      const call = deferred<string[]>()
      calls.push(call)
      return call.promise
    })
    const off = observe(cache, { key: ['todos'], fetcher, staleTime: 60_000 }).subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0) // the first fetch is in flight
    const layer = applyOptimistic(cache, ['todos'], undefined, (old) => [...((old as string[] | undefined) ?? []), 'milk'])
    calls[0]!.resolve(['bread']) // dropped: it read before the optimistic write
    await vi.advanceTimersByTimeAsync(0)
    let seenWhenDone: unknown
    void cache.invalidate({ key: ['todos'] }).then(() => (seenWhenDone = cache.get(['todos'])?.data))
    await vi.advanceTimersByTimeAsync(0)
    expect(fetcher).toHaveBeenCalledTimes(2)
    layer.rollback()
    expect(cache.get(['todos'])).toMatchObject({ data: undefined, status: 'pending', isFetching: true })
    calls[1]!.resolve(['bread', 'eggs'])
    await vi.advanceTimersByTimeAsync(0)
    expect(seenWhenDone).toEqual(['bread', 'eggs'])
    expect(cache.get(['todos'])).toMatchObject({ data: ['bread', 'eggs'], isStale: false, isFetching: false })
    expect(fetcher).toHaveBeenCalledTimes(2)
    off()
  })
})
