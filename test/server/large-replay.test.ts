// @vitest-environment node
import type { ServerOptions, ServerResponse } from 'node:http'
import { connect as connectSocket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { heartbeatFrame } from '../../src/server/sse'
import { startHub, type HubServer } from './hub-setup'

// A replay goes out as the client reads it. Written in one go, a client that
// connects with an old Last-Event-ID and never reads (anyone can, with the
// default authorize) pinned its whole replay in the hub's memory for as long
// as it stayed connected: retain x message size, per such connection.

const MiB = 1 << 20

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

/** A hub holding 48 `set` events of `size` characters each after a first event. */
async function withLargeStore(size: number, serverOptions: ServerOptions = {}): Promise<{ running: HubServer; first: string; responses: ServerResponse[] }> {
  const big = 'x'.repeat(size)
  const hub = await startHub({ heartbeatMs: 20 }, serverOptions)
  const responses: ServerResponse[] = []
  hub.server.prependListener('request', (_req, res) => responses.push(res))
  const first = await hub.hub.publish({ type: 'invalidate', tags: ['first'] })
  for (let n = 0; n < 48; n++) await hub.hub.publish({ type: 'set', key: ['big', n], data: big })
  return { running: hub, first, responses }
}

describe('a large replay', () => {
  it('holds about 1 MiB for a client that never reads, not the whole replay', async () => {
    const size = 512 * 1024
    const setup = await withLargeStore(size) // 24 MiB retained
    running = setup.running
    const stalled = connectSocket(Number(new URL(running.url).port), '127.0.0.1')
    stalled.on('error', () => {})
    stalled.pause() // never reads
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ${setup.first}\r\n\r\n`)
    try {
      await vi.waitUntil(() => (setup.responses[0]?.writableLength ?? 0) > MiB, { timeout: 2_000, interval: 5 })
      const res = setup.responses[0]!
      const paused = res.writableLength
      // Ten heartbeats later (each adds one ping to the buffer), the replay has not gone on.
      await vi.waitUntil(() => res.writableLength >= paused + 10 * heartbeatFrame.length, { timeout: 2_000, interval: 5 })
      expect(res.writableLength).toBeLessThan(paused + 1024)
      expect(res.writableLength).toBeLessThan(MiB + size + 1024)
    } finally {
      stalled.destroy()
    }
  })

  it('reaches a client that reads, in order, followed by its sync', async () => {
    const setup = await withLargeStore(64 * 1024) // 3 MiB: it waits for the client to read twice
    running = setup.running
    const stream = await running.connect({ 'Last-Event-ID': setup.first })
    await stream.waitFor((s) => s.messages().some(({ message }) => message.type === 'sync'), 'the sync', 5_000)
    const messages = stream.messages().map(({ message }) => message)
    expect(messages).toHaveLength(49)
    expect(messages.slice(0, 48).map((message) => (message.key as unknown[])[1])).toEqual([...Array(48).keys()])
    expect(messages[48]).toEqual({ type: 'sync', replay: 'complete' })
  })

  // With sockets that buffer more than 1 MiB before asking to drain (Node's
  // `highWaterMark` server option, or stream.setDefaultHighWaterMark), the
  // replay waited at 1 MiB for a 'drain' that is never emitted: the client
  // got the first MiB and then nothing, no sync and no live event, at every
  // reconnect for as long as the replay stayed that large.
  it('reaches a client that reads on a server whose sockets buffer more than 1 MiB', async () => {
    const setup = await withLargeStore(64 * 1024, { highWaterMark: 8 * MiB })
    running = setup.running
    const stream = await running.connect({ 'Last-Event-ID': setup.first })
    await stream.waitFor((s) => s.messages().some(({ message }) => message.type === 'sync'), 'the sync', 5_000)
    expect(stream.messages()).toHaveLength(49)
  })
})
