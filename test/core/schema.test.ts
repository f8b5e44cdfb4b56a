// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import * as z from 'zod'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { versioned } from '../../src/core/result'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

const Recs = z.object({
  items: z.array(z.object({ id: z.number(), price: z.number() })),
})
type Recs = z.infer<typeof Recs>

const good: Recs = { items: [{ id: 1, price: 10 }] }
const bad = { items: [{ id: 1, price: 'ten' }] }

describe('schema failures (semantic 8)', () => {
  it('puts the entry in error with a message naming the key and the failing path', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = async () => bad as unknown as Recs
    await expect(cache.fetch({ key: ['recs', 7], schema: Recs, fetcher })).rejects.toThrow()
    const entry = cache.get<Recs>(['recs', 7])
    expect(entry?.status).toBe('error')
    expect(entry?.error).toBeInstanceOf(Error)
    const message = entry?.error?.message ?? ''
    expect(message).toContain('["recs",7]')
    expect(message).toMatch(/items(\.0|\[0\])\.price/)
  })

  it('rejects fetch() with that same error', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const result = cache.fetch({ key: ['recs', 7], schema: Recs, fetcher: async () => bad as unknown as Recs })
    const error = await result.then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect(error).toBe(cache.get(['recs', 7])?.error)
  })

  it('keeps the last good data', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, call } = controlledFetcher<Recs>()
    const first = cache.fetch({ key: ['recs'], schema: Recs, fetcher })
    await flush()
    call(0).resolve(good)
    await first
    const goodAt = cache.get(['recs'])?.updatedAt
    await vi.advanceTimersByTimeAsync(100)
    const second = cache.fetch({ key: ['recs'], schema: Recs, fetcher })
    await flush()
    call(1).resolve(bad as unknown as Recs)
    await second.catch(() => {})
    const entry = cache.get<Recs>(['recs'])
    expect(entry?.status).toBe('error')
    expect(entry?.data).toEqual(good)
    expect(entry?.updatedAt).toBe(goodAt)
  })

  it('reports the failure to onError', async () => {
    const onError = vi.fn()
    const cache = createCache({ now: () => Date.now(), retry: 0, onError })
    await cache.fetch({ key: ['recs'], schema: Recs, fetcher: async () => bad as unknown as Recs }).catch(() => {})
    expect(onError).toHaveBeenCalledTimes(1)
    const reported: unknown = onError.mock.calls[0]?.[0]
    expect(reported).toBeInstanceOf(Error)
    expect((reported as Error).message).toMatch(/price/)
  })

  it('is never retried', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 3 })
    const fetcher = vi.fn(async () => bad as unknown as Recs)
    const result = cache.fetch({ key: ['recs'], schema: Recs, fetcher })
    const settled = result.catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(await settled).toBeInstanceOf(Error)
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('validates the data inside a versioned result, and keeps no etag from a rejected one', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    await cache
      .fetch({ key: ['recs'], schema: Recs, fetcher: async () => versioned(bad as unknown as Recs, '"bad"') })
      .catch(() => {})
    expect(cache.get(['recs'])?.status).toBe('error')
    expect(cache.get(['recs'])?.etag).toBeUndefined()
  })

  it('shows an observer the error with the old data, and recovers on the next good answer', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    cache.set(['recs'], good)
    const { fetcher, call } = controlledFetcher<Recs>()
    const observer = observe(cache, { key: ['recs'], schema: Recs, fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    call(0).resolve(bad as unknown as Recs)
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ status: 'error', data: good })
    const fixed = { items: [{ id: 2, price: 20 }] }
    const again = observer.refetch()
    await flush()
    call(1).resolve(fixed)
    await again
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ status: 'success', data: fixed, error: undefined })
    detach()
  })

  it('stores what the schema parsed (defaults, stripped fields, transforms)', async () => {
    const cache = createCache({ now: () => Date.now() })
    const schema = z.object({ name: z.string(), tags: z.array(z.string()).default([]), n: z.string().transform(Number) })
    const raw = { name: 'x', n: '3', extra: true }
    const data = await cache.fetch({
      key: ['parsed'],
      schema,
      fetcher: async () => raw as unknown as z.infer<typeof schema>,
    })
    expect(data).toEqual({ name: 'x', tags: [], n: 3 })
    expect(cache.get(['parsed'])?.data).toEqual({ name: 'x', tags: [], n: 3 })
  })

  it('keeps the cache consistent: nothing in flight, other entries untouched', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0, staleTime: 60_000 })
    cache.set(['other'], 'fine')
    await cache.fetch({ key: ['recs'], schema: Recs, fetcher: async () => bad as unknown as Recs }).catch(() => {})
    expect(cache.stats()).toMatchObject({ entries: 2, inFlight: 0, queued: 0, errors: 1 })
    expect(cache.get(['other'])).toMatchObject({ status: 'success', data: 'fine', isStale: false })
  })

  // A zod transform or refine that throws (`new Date(text).toISOString()` on a bad
  // date, a JSON.parse of a field) makes safeParse throw instead of failing. That
  // left the fetch in flight for ever: isFetching stuck true, nothing reported,
  // and every later fetch or mount joined the dead flight without asking again.
  it('treats a schema that throws as a schema failure: the entry in error with its last data, reported, and fetched again later', async () => {
    const onError = vi.fn<(error: Error) => void>()
    const cache = createCache({ now: () => Date.now(), retry: 0, onError })
    const Stamp = z.object({ at: z.string() }).transform(({ at }) => new Date(at).toISOString())
    cache.set(['stamp'], '2026-01-01T00:00:00.000Z')
    const fetcher = vi.fn(async () => ({ at: 'not a date' }))
    const failed = await cache.fetch({ key: ['stamp'], schema: Stamp, fetcher }).catch((e: unknown) => e)
    expect(failed).toBeInstanceOf(Error)
    expect((failed as Error).message).toContain('["stamp"]')
    expect((failed as Error).message).toContain('Invalid time value')
    expect(cache.get(['stamp'])).toMatchObject({ status: 'error', error: failed, data: '2026-01-01T00:00:00.000Z', isFetching: false })
    expect(onError).toHaveBeenCalledWith(failed)
    expect(cache.stats()).toMatchObject({ inFlight: 0, errors: 1 })
    // The next use asks the server again, and a good answer lands.
    fetcher.mockResolvedValueOnce({ at: '2026-02-01T00:00:00.000Z' })
    await expect(cache.fetch({ key: ['stamp'], schema: Stamp, fetcher })).resolves.toBe('2026-02-01T00:00:00.000Z')
    expect(fetcher).toHaveBeenCalledTimes(2)
  })
})
