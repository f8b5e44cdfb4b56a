// @vitest-environment node
import { createServer, type Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { EventSource } from 'eventsource'
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { createInvalidationHub, type InvalidationHub } from '../../src/server'
import { connectInvalidations } from '../../src/stream/connect'
import { activeEntry } from './waker'

// A stream url that is answered, but not with a stream (a typo's 404, an
// expired session's 401, an HTML page): the EventSource gives up at once, and
// each replacement does too. Real HTTP and the `eventsource` package; the
// backoff's random draw is pinned to the bottom of its range (0.5 s, then 1 s).
const BOUND_MS = 5_000

let server: Server
let hub: InvalidationHub
let base: string
const requests = new Map<string, number>()
const sockets = new Set<Socket>()
const cleanups: Array<() => void> = []

beforeAll(async () => {
  // The hub refuses everyone, as its `authorize` does an expired session.
  hub = createInvalidationHub({ authorize: async () => null })
  server = createServer((req, res) => {
    requests.set(req.url!, (requests.get(req.url!) ?? 0) + 1)
    if (req.url === '/events') return hub.handler(req, res)
    if (req.url === '/page') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>')
    res.writeHead(404).end()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup()
})

afterAll(async () => {
  await hub.close()
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

/**
 * Connects to `path` with an EventSource that counts its give-ups (its own
 * listener runs first, in the same dispatch as the connection's), and waits
 * for the second: the first replacement failed too.
 */
async function refused(path: string) {
  vi.spyOn(Math, 'random').mockReturnValue(0)
  const { cache, onError, w } = await activeEntry(BOUND_MS, cleanups)
  let gaveUp = 0
  class Counted extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, init)
      this.addEventListener('error', () => {
        if (this.readyState !== EventSource.CLOSED) return
        gaveUp += 1
        w.wake()
      })
    }
  }
  const connection = connectInvalidations(cache, { url: `${base}${path}`, eventSourceImpl: Counted })
  cleanups.push(() => connection.close())
  w.watch(connection)
  await w.until(() => gaveUp === 2, `two give-ups at ${path}`)
  expect(onError).toHaveBeenCalledOnce()
  return { error: onError.mock.calls[0]![0], onError, connection, w, gaveUp: () => gaveUp }
}

describe('a stream url that is answered with no stream', () => {
  it('a 404 (a typo in the url) reaches onError once, naming the url and the status, while state stays connecting', async () => {
    const { error, onError, connection, w, gaveUp } = await refused('/evnets')
    expect(error.message).toBe(`cachet: stream ${base}/evnets failed twice (Non-200 status code (404)); retrying`)
    expect(requests.get('/evnets')).toBe(2)
    expect(connection.state).toBe('connecting')
    // The next backoff step fails the same way, and is not reported again.
    await w.until(() => gaveUp() === 3, 'the third give-up')
    expect(requests.get('/evnets')).toBe(3)
    expect(onError).toHaveBeenCalledOnce()
    expect(connection.state).toBe('connecting')
  })

  it("a hub's 401 (an expired session) reaches onError, naming the url and the status", async () => {
    const { error, connection } = await refused('/events')
    expect(error.message).toBe(`cachet: stream ${base}/events failed twice (Non-200 status code (401)); retrying`)
    expect(connection.state).toBe('connecting')
  })

  it('a 200 that is not text/event-stream (an HTML page) reaches onError, saying so', async () => {
    const { error } = await refused('/page')
    expect(error.message).toBe(`cachet: stream ${base}/page failed twice (Invalid content type, expected "text/event-stream"); retrying`)
  })
})
