// @vitest-environment node
import type { ServerResponse } from 'node:http'
import { connect as connectSocket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { startHub, type HubServer } from './hub-setup'

// The hub drops a client whose socket does not drain (over 1 MiB buffered).
// One live event bigger than that (a `set` carrying a large payload) is not
// a slow client: a client that reads everything must get it, not be cut off
// the moment it is written (and then reconnect to get it by replay; every
// connected browser would reconnect at once).

const MiB = 1 << 20

let running: HubServer | undefined
afterEach(async () => {
  vi.useRealTimers()
  await running?.stop()
  running = undefined
})

describe('a single live event larger than the 1 MiB slow-client limit', () => {
  it('reaches a client that reads, which stays connected', async () => {
    running = await startHub()
    const { hub, connect } = running
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    const big = 'x'.repeat(16 * 1024 * 1024)
    const id = await hub.publish({ type: 'set', key: ['big'], data: big })
    await stream.waitFor((s) => s.isEnded || s.raw.length > big.length, 'the big event (or the stream ending)', 10_000)
    expect(stream.isEnded).toBe(false)
    expect(stream.raw.includes(`id: ${id}\n`)).toBe(true)
  })

  // The event and heartbeat below are written before the client has had a
  // turn to read (as on any network slower than loopback): most of the big
  // event is still buffered. Before, that counted as a stalled client, and
  // every browser reading the event was cut off mid-event, reconnected at
  // once and was sent it again by replay.
  it('keeps a client that reads it when an event and a heartbeat follow before it is read', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    running = await startHub({ heartbeatMs: 1_000 })
    const { hub, connect } = running
    const stream = await connect()
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    const big = 'x'.repeat(4 * MiB)
    const bigId = await hub.publish({ type: 'set', key: ['big'], data: big })
    const after = await hub.publish({ type: 'invalidate', tags: ['after'] })
    vi.advanceTimersByTime(1_000)
    await stream.waitFor((s) => s.isEnded || s.raw.slice(-200).includes(': ping'), 'the heartbeat (or the stream ending)', 10_000)
    expect(stream.isEnded).toBe(false)
    // The sync carries the empty store's birth id (see memory-store.test.ts).
    expect(stream.messages().map((m) => m.id)).toEqual([expect.stringMatching(/^\d+-\d+$/), bigId, after])
  })

  /** A raw client that reads until it has `bytes` of the stream after its sync, then stops reading. */
  async function stallingClient(hub: HubServer, bytes: () => number): Promise<{ res: ServerResponse; received: () => number; close: () => void }> {
    const responses: ServerResponse[] = []
    hub.server.prependListener('request', (_req, res) => responses.push(res))
    const socket = connectSocket(Number(new URL(hub.url).port), '127.0.0.1')
    socket.on('error', () => {})
    let head = ''
    let received = 0
    await new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        if (!head.includes('"type":"sync"')) {
          head += chunk.toString()
          if (head.includes('"type":"sync"')) resolve()
        } else received += chunk.length
        if (received >= bytes()) socket.pause()
      })
      socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    })
    return { res: responses[0]!, received: () => received, close: () => socket.destroy() }
  }

  /** Publishes 64 KiB events until the hub drops the client; the most it buffered for it meanwhile. */
  async function publishUntilDropped(hub: HubServer, res: ServerResponse): Promise<number> {
    let most = res.writableLength
    for (let n = 0; n < 256 && !res.destroyed; n++) {
      await hub.hub.publish({ type: 'set', key: ['small', n], data: 'y'.repeat(64 * 1024) })
      most = Math.max(most, res.writableLength)
    }
    expect(res.destroyed).toBe(true)
    return most
  }

  it('still drops a client that stops reading once 1 MiB more than the big event is buffered', async () => {
    running = await startHub()
    const client = await stallingClient(running, () => 0) // reads nothing after its sync
    try {
      await running.hub.publish({ type: 'set', key: ['big'], data: 'x'.repeat(8 * MiB) })
      const afterBig = client.res.writableLength
      expect(afterBig).toBeGreaterThan(4 * MiB)
      // 1 MiB beyond the big event (and an event past it), not 16 MiB of small events.
      expect(await publishUntilDropped(running, client.res)).toBeLessThan(afterBig + MiB + 128 * 1024)
    } finally {
      client.close()
    }
  })

  it('drops a client that read the big event and then stops reading once 1 MiB is buffered, as before it', async () => {
    running = await startHub()
    const big = 8 * MiB
    const client = await stallingClient(running, () => big)
    try {
      await running.hub.publish({ type: 'set', key: ['big'], data: 'x'.repeat(big) })
      await vi.waitUntil(() => client.received() >= big, { timeout: 5_000, interval: 5 })
      // The limit came back down as the client read: not 8 MiB more of small events.
      expect(await publishUntilDropped(running, client.res)).toBeLessThan(MiB + 128 * 1024)
    } finally {
      client.close()
    }
  })
})
