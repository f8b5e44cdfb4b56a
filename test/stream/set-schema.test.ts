// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import * as z from 'zod'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'

// A server-sent `set` puts into the cache what a fetch of that entry would
// have returned: the JSON of the API. A query with a schema parses its
// fetcher's answer (and may transform it: a date string into a Date); the
// pushed data must be parsed the same way, or components get a shape they
// never see from a fetch, and bad data lands in the cache unchecked.
const cleanups: Array<() => void> = []
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

const post = z.object({ title: z.string(), publishedAt: z.string().transform((text) => new Date(text)) })

async function setup() {
  const onError = vi.fn<(error: Error) => void>()
  const cache = createCache({ staleTime: 60_000, onError })
  const observer = observe(cache, {
    key: ['post', 1],
    segment: 'exp-42:b',
    schema: post as never,
    fetcher: async () => ({ title: 'First', publishedAt: '2026-01-01T00:00:00.000Z' }),
  })
  cleanups.push(observer.subscribe(() => {}))
  await vi.waitFor(() => expect(cache.get(['post', 1], 'exp-42:b')?.status).toBe('success'), { timeout: 2_000, interval: 1 })
  const source = new FakeEventSource()
  const connection: InvalidationConnection = connectInvalidations(cache, { source })
  cleanups.push(() => connection.close())
  source.open()
  return { cache, onError, source }
}

describe("a server-sent set on an entry whose query has a schema", () => {
  it('stores the data as the schema parses it, as a fetch would', async () => {
    const { cache, onError, source } = await setup()
    expect(cache.get<z.infer<typeof post>>(['post', 1], 'exp-42:b')?.data?.publishedAt).toBeInstanceOf(Date)
    source.emit({ type: 'set', key: ['post', 1], segment: 'exp-42:b', data: { title: 'Edited', publishedAt: '2026-02-01T00:00:00.000Z' } }, { id: '5' })
    const data = cache.get<z.infer<typeof post>>(['post', 1], 'exp-42:b')?.data
    expect(data?.title).toBe('Edited')
    expect(data?.publishedAt).toEqual(new Date('2026-02-01T00:00:00.000Z'))
    expect(onError).not.toHaveBeenCalled()
  })

  it('rejects data that fails the schema: the entry is left exactly as it was, and onError names the event, the key and the path', async () => {
    const { cache, onError, source } = await setup()
    const before = cache.get(['post', 1], 'exp-42:b')
    source.emit({ type: 'set', key: ['post', 1], segment: 'exp-42:b', data: { title: 42, publishedAt: '2026-02-01T00:00:00.000Z' } }, { id: '6' })
    expect(cache.get(['post', 1], 'exp-42:b')).toEqual(before)
    expect(onError).toHaveBeenCalledOnce()
    const message = onError.mock.calls[0]![0].message
    expect(message).toBe('cachet: rejected server event 6: set ["post",1]: data fails its query\'s schema (title: Invalid input: expected string, received number)')
    // The stream goes on: a good set after it is applied.
    source.emit({ type: 'set', key: ['post', 1], segment: 'exp-42:b', data: { title: 'Fine', publishedAt: '2026-03-01T00:00:00.000Z' } }, { id: '7' })
    expect(cache.get<z.infer<typeof post>>(['post', 1], 'exp-42:b')?.data?.title).toBe('Fine')
  })

  it("words a failure in the schema's own messages (a minimum is not taken for 'must not be empty')", async () => {
    const { cache, onError, source } = await setup()
    const priced = z.object({ price: z.number().min(1) })
    const observer = observe(cache, { key: ['price'], schema: priced as never, fetcher: async () => ({ price: 5 }) })
    cleanups.push(observer.subscribe(() => {}))
    await vi.waitFor(() => expect(cache.get(['price'])?.status).toBe('success'), { timeout: 2_000, interval: 1 })
    source.emit({ type: 'set', key: ['price'], data: { price: 0 } }, { id: '9' })
    expect(onError.mock.calls.map(([error]) => error.message)).toEqual([
      'cachet: rejected server event 9: set ["price"]: data fails its query\'s schema (price: Too small: expected number to be >=1)',
    ])
    expect(cache.get(['price'])?.data).toEqual({ price: 5 })
  })

  // The same key in another segment is the same query under another arm or
  // tenant: a set for a segment this tab does not show (yet) is that query's
  // answer too. Before, it was stored unparsed, and a tab switching to that
  // segment showed it as fresh data that its schema would have rejected.
  it('parses a set for a segment this tab does not show with the schema of that key in a segment it shows', async () => {
    const { cache, onError, source } = await setup()
    source.emit({ type: 'set', key: ['post', 1], segment: 'exp-42:a', data: { title: 'Arm A', publishedAt: '2026-02-01T00:00:00.000Z' } }, { id: '10' })
    source.emit({ type: 'set', key: ['post', 1], data: { title: 'No arm', publishedAt: '2026-03-01T00:00:00.000Z' } }, { id: '11' })
    expect(cache.get<z.infer<typeof post>>(['post', 1], 'exp-42:a')?.data?.publishedAt).toEqual(new Date('2026-02-01T00:00:00.000Z'))
    expect(cache.get<z.infer<typeof post>>(['post', 1])?.data?.publishedAt).toEqual(new Date('2026-03-01T00:00:00.000Z'))
    expect(onError).not.toHaveBeenCalled()
  })

  it('rejects a set for a segment this tab does not show whose data fails that schema, and adds no entry', async () => {
    const { cache, onError, source } = await setup()
    const entries = cache.stats().entries
    source.emit({ type: 'set', key: ['post', 1], segment: 'exp-42:a', data: { title: 42, publishedAt: '2026-02-01T00:00:00.000Z' } }, { id: '12' })
    expect(cache.get(['post', 1], 'exp-42:a')).toBeUndefined()
    expect(cache.stats().entries).toBe(entries)
    expect(onError.mock.calls.map(([error]) => error.message)).toEqual([
      'cachet: rejected server event 12: set ["post",1]: data fails its query\'s schema (title: Invalid input: expected string, received number)',
    ])
  })

  // The contract's schema is any `safeParse` (a zod schema, or an app's own
  // check): one whose error is not zod's says why in its message, which the
  // report carries, as a fetch's schema failure does. It used to say "()".
  it("says why in the error's own message when the schema's error has no zod issues", async () => {
    const { cache, onError, source } = await setup()
    const count = {
      safeParse: (value: unknown) =>
        typeof value === 'number' ? { success: true, data: value } : { success: false, error: new Error('a count is a number') },
    }
    const observer = observe(cache, { key: ['count'], schema: count, fetcher: async () => 1 })
    cleanups.push(observer.subscribe(() => {}))
    await vi.waitFor(() => expect(cache.get(['count'])?.status).toBe('success'), { timeout: 2_000, interval: 1 })
    source.emit({ type: 'set', key: ['count'], data: 'two' }, { id: '13' })
    expect(onError.mock.calls.map(([error]) => error.message)).toEqual([
      'cachet: rejected server event 13: set ["count"]: data fails its query\'s schema (a count is a number)',
    ])
    expect(cache.get(['count'])?.data).toBe(1)
  })

  // A transform or refine that throws (new Date(text).toISOString() on a bad
  // date) throws out of safeParse. The event was rejected and the entry kept,
  // but the report said only "Invalid time value": not which key, nor that the
  // query's schema refused it, as the contract's report of a failing set does.
  it('reports a schema that throws as a schema failure naming the key, and keeps the entry', async () => {
    const { cache, onError, source } = await setup()
    const stamp = z.object({ at: z.string() }).transform(({ at }) => new Date(at).toISOString())
    const observer = observe(cache, { key: ['stamp'], schema: stamp as never, fetcher: async () => ({ at: '2026-01-01T00:00:00.000Z' }) })
    cleanups.push(observer.subscribe(() => {}))
    await vi.waitFor(() => expect(cache.get(['stamp'])?.status).toBe('success'), { timeout: 2_000, interval: 1 })
    const before = cache.get(['stamp'])
    source.emit({ type: 'set', key: ['stamp'], data: { at: 'not a date' } }, { id: '14' })
    expect(onError.mock.calls.map(([error]) => error.message)).toEqual([
      'cachet: rejected server event 14: set ["stamp"]: data fails its query\'s schema (Invalid time value)',
    ])
    expect(cache.get(['stamp'])).toBe(before)
  })

  it('stores the data as sent for an entry with no schema, or no query yet', async () => {
    const { cache, onError, source } = await setup()
    source.emit({ type: 'set', key: ['post', 2], data: { title: 7 } }, { id: '8' })
    expect(cache.get(['post', 2])?.data).toEqual({ title: 7 })
    expect(onError).not.toHaveBeenCalled()
  })
})
