// @vitest-environment node
import { EventSource } from 'eventsource'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { connectInvalidations } from '../../src/stream/connect'
import { startSseServer, type SseFrame, type SseServer } from '../helpers/sse-server'
import { activeEntry } from './waker'

// A plain SSE server numbers its events with a counter kept in memory: after a
// restart it counts 1, 2, 3 again. The ids a tab remembers as applied (to skip
// the relayed copy of an event) must not make it skip the restarted server's
// new events that happen to reuse them. Real HTTP and EventSource; every wait
// is event-driven and bounded.
const BOUND_MS = 5_000
const servers = new Set<SseServer>()
const cleanups: Array<() => void> = []

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})
afterAll(async () => {
  for (const server of [...servers]) await server.stop()
})

async function serve(port?: number): Promise<SseServer> {
  const server = await startSseServer({ retryMs: 50, ...(port === undefined ? {} : { port }) })
  servers.add(server)
  return server
}

const json = (message: unknown, id: string): SseFrame => ({ data: JSON.stringify(message), id })

describe('a plain server whose event ids start again after a restart', () => {
  it.each(['invalidate-active', 'none'] as const)("applies the restarted server's events that reuse ids seen before (onReconnect: %s)", async (onReconnect) => {
    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, cleanups)
    let server = await serve()
    const connection = connectInvalidations(cache, { url: server.url, eventSourceImpl: EventSource, onReconnect })
    cleanups.push(() => connection.close())
    w.watch(connection)
    await w.until(() => connection.state === 'open', 'the stream to open')
    server.send(json({ type: 'set', key: ['price'], data: 10 }, '1'))
    server.send(json({ type: 'invalidate', tags: ['product:42'] }, '2'))
    await w.until(() => data() === 'answer 2', 'the first two events')

    // The process restarts on the same port; its counter starts at 1 again.
    const port = server.port
    servers.delete(server)
    await server.stop()
    await w.until(() => connection.state === 'connecting', 'the client to notice the drop')
    server = await serve(port)
    await server.waitForConnections(1, BOUND_MS)
    const reopened = onReconnect === 'none' ? 2 : 3
    await w.until(() => connection.state === 'open' && data() === `answer ${reopened}`, 'the stream to reopen')
    server.send(json({ type: 'set', key: ['price'], data: 12 }, '1'))
    server.send(json({ type: 'invalidate', tags: ['product:42'] }, '2'))
    server.send(json({ type: 'set', key: ['marker'], data: true }, '3'))
    await w.until(() => cache.get(['marker'])?.data === true && !cache.get(['recs', 7])?.isFetching, 'the marker after the reused ids')

    expect(cache.get(['price'])?.data).toBe(12)
    expect(data()).toBe(`answer ${reopened + 1}`)
    expect(fetches()).toBe(reopened + 1)
    expect(onError).not.toHaveBeenCalled()
  })

  it('applies them on a new connection too: the app closed its stream (the user left the page), the server restarted, the stream is opened again', async () => {
    const { cache, onError, w, data, fetches } = await activeEntry(BOUND_MS, cleanups)
    let server = await serve()
    const first = connectInvalidations(cache, { url: server.url, eventSourceImpl: EventSource })
    w.watch(first)
    await w.until(() => first.state === 'open', 'the stream to open')
    server.send(json({ type: 'set', key: ['price'], data: 10 }, '1'))
    server.send(json({ type: 'invalidate', tags: ['product:42'] }, '2'))
    await w.until(() => data() === 'answer 2', 'the first two events')
    first.close()

    const port = server.port
    servers.delete(server)
    await server.stop()
    server = await serve(port)
    const second = connectInvalidations(cache, { url: server.url, eventSourceImpl: EventSource })
    cleanups.push(() => second.close())
    w.watch(second)
    await w.until(() => second.state === 'open', 'the new stream to open')
    server.send(json({ type: 'set', key: ['price'], data: 12 }, '1'))
    server.send(json({ type: 'invalidate', tags: ['product:42'] }, '2'))
    server.send(json({ type: 'set', key: ['marker'], data: true }, '3'))
    await w.until(() => cache.get(['marker'])?.data === true && !cache.get(['recs', 7])?.isFetching, 'the marker after the reused ids')

    expect(cache.get(['price'])?.data).toBe(12)
    expect(data()).toBe('answer 3')
    expect(fetches()).toBe(3)
    expect(onError).not.toHaveBeenCalled()
  })
})
