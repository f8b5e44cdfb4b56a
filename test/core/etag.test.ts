// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { notModified, versioned } from '../../src/core/result'
import type { CacheEvent, Entry, FetchContext, QueryOptions } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

interface Doc {
  title: string
}

describe('ETag (semantic 10)', () => {
  it('stores the etag of a versioned result and resolves fetch() with the bare data', async () => {
    const cache = createCache({ now: () => Date.now() })
    const doc: Doc = { title: 'a' }
    await expect(cache.fetch({ key: ['doc'], fetcher: async () => versioned(doc, '"v1"') })).resolves.toBe(doc)
    expect(cache.get(['doc'])).toMatchObject({ data: doc, etag: '"v1"', status: 'success' })
  })

  it('gives the next fetcher the cached etag (none on the first fetch)', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<Doc | ReturnType<typeof versioned<Doc>>>()
    const first = cache.fetch<Doc>({ key: ['doc'], fetcher })
    await flush()
    expect(call(0).ctx.etag).toBeUndefined()
    call(0).resolve(versioned({ title: 'a' }, '"v1"'))
    await first
    const second = cache.fetch<Doc>({ key: ['doc'], fetcher })
    await flush()
    expect(call(1).ctx.etag).toBe('"v1"')
    call(1).resolve(versioned({ title: 'b' }, '"v2"'))
    await second
    expect(cache.get(['doc'])?.etag).toBe('"v2"')
  })

  it('gives the fetcher an etag stored by set()', async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['doc'], { title: 'pushed' }, { etag: '"p1"' })
    const fetcher = vi.fn(async (_ctx: FetchContext) => notModified)
    await cache.fetch({ key: ['doc'], fetcher })
    expect(fetcher.mock.calls[0]?.[0]?.etag).toBe('"p1"')
  })

  it('drops the etag when the next answer comes without one', async () => {
    const cache = createCache({ now: () => Date.now() })
    await cache.fetch({ key: ['doc'], fetcher: async () => versioned({ title: 'a' }, '"v1"') })
    await cache.fetch({ key: ['doc'], fetcher: async () => ({ title: 'plain' }) })
    expect(cache.get(['doc'])).toMatchObject({ data: { title: 'plain' }, etag: undefined })
  })

  it('notModified keeps the same data reference and bumps updatedAt', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const doc: Doc = { title: 'a' }
    await cache.fetch({ key: ['doc'], fetcher: async () => versioned(doc, '"v1"') })
    const before = cache.get<Doc>(['doc'])
    await vi.advanceTimersByTimeAsync(5000)
    expect(cache.get(['doc'])?.isStale).toBe(true)
    const result = await cache.fetch<Doc>({ key: ['doc'], fetcher: async () => notModified })
    const after = cache.get<Doc>(['doc'])
    expect(result).toBe(doc)
    expect(after?.data).toBe(doc)
    expect(after?.updatedAt).toBe((before?.updatedAt ?? 0) + 5000)
    expect(after?.isStale).toBe(false)
    expect(after?.etag).toBe('"v1"')
    expect(after?.status).toBe('success')
  })

  it('notModified clears an earlier error', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const doc: Doc = { title: 'a' }
    await cache.fetch({ key: ['doc'], fetcher: async () => versioned(doc, '"v1"') })
    await cache.fetch({ key: ['doc'], fetcher: async () => Promise.reject(new Error('flaky')) }).catch(() => {})
    expect(cache.get(['doc'])?.status).toBe('error')
    await cache.fetch({ key: ['doc'], fetcher: async () => notModified })
    expect(cache.get(['doc'])).toMatchObject({ status: 'success', error: undefined, data: doc })
  })

  it('notModified keeps cached data that is undefined (a 204 with an ETag), also while an error stands', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    await cache.fetch({ key: ['flags'], fetcher: async () => versioned(undefined, '"f1"') })
    await cache.fetch({ key: ['flags'], fetcher: async () => Promise.reject(new Error('flaky')) }).catch(() => {})
    expect(cache.get(['flags'])).toMatchObject({ status: 'error', data: undefined, etag: '"f1"' })
    const fetcher = vi.fn(async (_ctx: FetchContext) => notModified)
    // Before: "notModified … but nothing is cached", though the server vouched for what is.
    await expect(cache.fetch({ key: ['flags'], fetcher })).resolves.toBeUndefined()
    expect(fetcher.mock.calls[0]?.[0]?.etag).toBe('"f1"')
    expect(cache.get(['flags'])).toMatchObject({ status: 'success', error: undefined, data: undefined, etag: '"f1"' })
  })

  it('notModified when nothing is cached is an error naming the key, and leaves the entry as it was', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const error = await cache.fetch({ key: ['doc', 7], segment: 'arm-b', fetcher: async () => notModified }).catch((e: unknown) => e)
    expect((error as Error).message).toBe('cachet: notModified for key ["doc",7] (segment "arm-b"), but nothing is cached')
    expect(cache.get(['doc', 7], 'arm-b')).toMatchObject({ status: 'error', data: undefined, updatedAt: 0, etag: undefined })
  })

  it('notModified with a schema keeps the parsed data and never runs the schema on the missing body', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    // A transforming schema: the cached data is its output, not the wire's JSON.
    const schema = z.object({ title: z.string(), at: z.string().transform((s) => new Date(s)) })
    const safeParse = vi.spyOn(schema, 'safeParse')
    const fetcher = vi.fn(async (_ctx: FetchContext): Promise<unknown> => versioned({ title: 'a', at: '2026-01-01T00:00:00Z' }, '"v1"'))
    const query = { key: ['doc'], schema, fetcher } as QueryOptions<z.output<typeof schema>>
    const parsed = await cache.fetch(query)
    expect(parsed.at).toBeInstanceOf(Date)
    expect(safeParse).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(5000)
    fetcher.mockImplementation(async () => notModified)
    await expect(cache.fetch(query)).resolves.toBe(parsed)
    expect(safeParse).toHaveBeenCalledTimes(1)
    expect(cache.get(['doc'])).toMatchObject({ status: 'success', error: undefined, etag: '"v1"', isStale: false })
  })

  it('a 304 that lands after a remove-mode invalidation keeps nothing: the caller gets a refetch sent without the etag', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, call } = controlledFetcher<Doc | typeof notModified | ReturnType<typeof versioned<Doc>>>()
    const first = cache.fetch<Doc>({ key: ['doc'], fetcher })
    await flush()
    call(0).resolve(versioned({ title: 'in stock' }, '"v1"'))
    await first
    const second = cache.fetch<Doc>({ key: ['doc'], fetcher })
    await flush()
    expect(call(1).ctx.etag).toBe('"v1"')
    void cache.invalidate({ key: ['doc'] }, { mode: 'remove' })
    call(1).resolve(notModified) // the server vouched for data the cache has just dropped
    await flush()
    expect(call(2).ctx.etag).toBeUndefined()
    call(2).resolve(versioned({ title: 'out of stock' }, '"v2"'))
    await expect(second).resolves.toEqual({ title: 'out of stock' })
    expect(cache.get(['doc'])).toMatchObject({ status: 'success', etag: '"v2"', error: undefined })
  })

  it('notModified emits no updated event with changed data', async () => {
    const cache = createCache({ now: () => Date.now() })
    const doc: Doc = { title: 'a' }
    await cache.fetch({ key: ['doc'], fetcher: async () => versioned(doc, '"v1"') })
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    await cache.fetch({ key: ['doc'], fetcher: async () => notModified })
    const updates = events.filter((event): event is Extract<CacheEvent, { type: 'updated' }> => event.type === 'updated')
    expect(updates.length).toBeGreaterThan(0) // isFetching flipped, at least
    expect(updates.every((event) => event.entry.data === doc)).toBe(true)
  })

  it('notModified does not re-render: every snapshot an observer sees keeps the same data reference', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const doc: Doc = { title: 'a' }
    cache.set(['doc'], doc, { etag: '"v1"' })
    await vi.advanceTimersByTimeAsync(2000)
    const { fetcher, call } = controlledFetcher<Doc | typeof notModified>()
    const observer = observe<Doc>(cache, { key: ['doc'], fetcher })
    const seen: (Entry<Doc> | undefined)[] = []
    const listener = vi.fn(() => seen.push(observer.getSnapshot()))
    const detach = observer.subscribe(listener)
    await flush()
    expect(call(0).ctx.etag).toBe('"v1"')
    call(0).resolve(notModified)
    await flush()
    expect(observer.getSnapshot()?.data).toBe(doc)
    expect(observer.getSnapshot()?.isStale).toBe(false)
    expect(seen.length).toBeGreaterThan(0)
    expect(seen.every((entry) => entry?.data === doc)).toBe(true)
    detach()
  })

  it('notModified after a lazy model switch stamps the new version, so switching to it again fetches nothing', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000, models: { recommender: 'r3' } })
    const doc: Doc = { title: 'a' }
    const fetcher = vi.fn(async (_ctx: FetchContext): Promise<Doc | typeof notModified | ReturnType<typeof versioned<Doc>>> => versioned(doc, '"v1"'))
    await cache.fetch({ key: ['rec'], model: 'recommender', fetcher })
    cache.setModelVersion('recommender', 'r4') // lazy: the r3 answer ages out
    await vi.advanceTimersByTimeAsync(5000)
    fetcher.mockImplementation(async () => notModified)
    await cache.fetch({ key: ['rec'], model: 'recommender', fetcher })
    expect(fetcher.mock.calls[1]?.[0]?.modelVersion).toBe('r4')
    // The server answered the r4 request with "what you have is current".
    expect(cache.get(['rec'])).toMatchObject({ data: doc, etag: '"v1"', model: 'recommender', modelVersion: 'r4', isStale: false })
    expect(cache.get<Doc>(['rec'])?.data).toBe(doc)
    // Another tab announcing r4 at once, or dropping bad r3 answers, leaves it alone.
    cache.setModelVersion('recommender', 'r4', { policy: 'immediate' })
    await cache.invalidate({ model: 'recommender', modelVersion: 'r3' })
    expect(fetcher).toHaveBeenCalledTimes(2)
    expect(cache.get(['rec'])?.isStale).toBe(false)
  })
})
