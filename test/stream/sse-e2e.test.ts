// @vitest-environment node
import { EventSource } from 'eventsource'
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest'
import type { Cache } from '../../src/core/types'
import { connectInvalidations, type InvalidationConnection } from '../../src/stream/connect'
import { startSseServer, type SseFrame, type SseServer } from '../helpers/sse-server'
import { activeEntry, type Waker } from './waker'

// Real HTTP, real EventSource (the `eventsource` package), real timers: every
// wait below is event-driven and bounded, and everything started is stopped.
const BOUND_MS = 5_000

const servers = new Set<SseServer>()
const cleanups: Array<() => void> = []

async function serve(options: Parameters<typeof startSseServer>[0]): Promise<SseServer> {
  const server = await startSseServer({ retryMs: 50, ...options })
  servers.add(server)
  return server
}

async function kill(server: SseServer): Promise<void> {
  servers.delete(server)
  await server.stop()
}

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})
afterAll(async () => {
  for (const server of [...servers]) await kill(server)
})

function connect(cache: Cache, url: string, w: Waker): InvalidationConnection {
  const connection = connectInvalidations(cache, { url, eventSourceImpl: EventSource })
  cleanups.push(() => connection.close())
  w.watch(connection)
  return connection
}

const json = (message: unknown, id?: string): SseFrame => ({ data: JSON.stringify(message), ...(id ? { id } : {}) })

describe('server-sent invalidations end to end', () => {
  it('plain server: a pushed invalidation refetches the active entry; after a crash and restart the reconnect invalidates it', async () => {
    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, cleanups)
    let server = await serve({})
    const connection = connect(cache, server.url, w)
    await w.until(() => connection.state === 'open', 'the stream to open')

    server.send(json({ type: 'invalidate', tags: ['product:42'] }, '1'))
    await w.until(() => data() === 'answer 2', 'the refetch after a pushed invalidation')
    expect(fetches()).toBe(2)

    // Crash mid-stream, then come back on the same port.
    const port = server.port
    await kill(server)
    await w.until(() => connection.state === 'connecting', 'the client to notice the drop')
    server = await serve({ port })
    await server.waitForConnections(1, BOUND_MS)
    // The client resumes from the last event it saw...
    expect(server.connections[0]).toBe('1')
    // ...and, since this server never sent `sync`, invalidates its active entries.
    await w.until(() => data() === 'answer 3', 'the refetch after reconnecting to a plain server')
    expect(connection.state).toBe('open')
    expect(fetches()).toBe(3)
    expect(onError).not.toHaveBeenCalled()
  })

  it('a server that answers 503 (the EventSource gives up) is connected to again after a backoff, and the active entry refetched', async () => {
    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, cleanups)
    const server = await serve({})
    const connection = connect(cache, server.url, w)
    await w.until(() => connection.state === 'open', 'the stream to open')
    // A restart that first answers 503 (a proxy mid-deploy): the EventSource gives up on it.
    const port = server.port
    await kill(server)
    const restarted = await serve({ port, refuse: 1 })
    await restarted.waitForConnections(1, BOUND_MS)
    expect(restarted.connections[0]).toBeUndefined()
    await w.until(() => connection.state === 'open' && data() === 'answer 2', 'a new source to open and the refetch')
    expect(fetches()).toBe(2)
    restarted.send(json({ type: 'invalidate', tags: ['product:42'] }, '7'))
    await w.until(() => data() === 'answer 3', 'a pushed invalidation on the new source')
    expect(onError).not.toHaveBeenCalled()
  })

  it("replaying server: 'complete' applies the replay and refetches nothing; 'unavailable' refetches", async () => {
    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, cleanups)
    const invalidate = vi.spyOn(cache, 'invalidate')
    const firstConnect = () => [json({ type: 'sync', replay: 'none' })]
    let server = await serve({ onConnect: firstConnect })
    const connection = connect(cache, server.url, w)
    await w.until(() => connection.state === 'open', 'the stream to open')
    server.send(json({ type: 'set', key: ['seen'], data: 1 }, '1'))
    await w.until(() => cache.get(['seen']) !== undefined, 'the live event')

    // Restart as a hub that replays what the client missed, then says it was all of it.
    let port = server.port
    await kill(server)
    server = await serve({
      port,
      onConnect: (lastEventId) =>
        lastEventId === '1'
          ? [
              json({ type: 'set', key: ['missed'], data: 'replayed' }, '2'),
              json({ type: 'sync', replay: 'complete' }, '2'),
              // Stream order: once this lands, the sync has been handled.
              json({ type: 'set', key: ['marker'], data: 1 }, '3'),
            ]
          : firstConnect(),
    })
    await w.until(() => cache.get(['marker']) !== undefined, 'the replay, sync and marker')
    expect(server.connections).toEqual(['1'])
    expect(cache.get(['missed'])?.data).toBe('replayed')
    expect(invalidate).not.toHaveBeenCalled()
    expect(fetches()).toBe(1)
    expect(data()).toBe('answer 1')

    // Restart as a hub that lost its history: the client must refetch.
    port = server.port
    await kill(server)
    server = await serve({
      port,
      onConnect: (lastEventId) => (lastEventId ? [json({ type: 'sync', replay: 'unavailable' })] : firstConnect()),
    })
    await w.until(() => data() === 'answer 2', 'the refetch after replay unavailable')
    expect(server.connections).toEqual(['3'])
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(onError).not.toHaveBeenCalled()
  })

  it('a malformed event over the wire reaches onError and the stream keeps applying', async () => {
    const { cache, onError, w, data } = await activeEntry(BOUND_MS, cleanups)
    const server = await serve({})
    const connection = connect(cache, server.url, w)
    await w.until(() => connection.state === 'open', 'the stream to open')
    server.send({ id: '5', data: '{"type":"invalidate","tags":"product:42"}' })
    server.send(json({ type: 'invalidate', key: ['recs'] }, '6'))
    await w.until(() => data() === 'answer 2', 'the refetch after the good event')
    expect(onError).toHaveBeenCalledOnce()
    expect(onError.mock.calls[0]![0].message).toMatch(/^cachet: rejected server event 5: tags: expected array/)
    expect(connection.state).toBe('open')
  })
})
