// @vitest-environment node
import type { ServerResponse } from 'node:http'
import { connect as connectSocket } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../src/server'
import { startHub, type HubServer } from './hub-setup'

// A client whose replay waits for it to read (it stopped reading, its socket
// still open: a tab frozen by the OS, a half-open TCP connection, or anyone
// with an old Last-Event-ID) is not live yet, so every event published
// meanwhile was parked in its `pending` array, without bound, for as long as
// the socket stayed open: the store's `retain` limit did not apply to it.

const MiB = 1 << 20

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('a client stalled in its replay', () => {
  it('is dropped once the live events parked for it pass a bound, not held without limit', async () => {
    const store = memoryStore({ retain: 100 })
    running = await startHub({ store, heartbeatMs: 60_000 })
    const responses: ServerResponse[] = []
    running.server.prependListener('request', (_req, res) => responses.push(res))
    const first = await running.hub.publish({ type: 'invalidate', tags: ['first'] })
    const big = 'x'.repeat(256 * 1024)
    // An 8 MiB replay: the hub writes about 1 MiB and waits for the client to read.
    for (let n = 0; n < 32; n++) await running.hub.publish({ type: 'set', key: ['big', n], data: big })

    const stalled = connectSocket(Number(new URL(running.url).port), '127.0.0.1')
    stalled.on('error', () => {})
    stalled.pause()
    stalled.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nLast-Event-ID: ${first}\r\n\r\n`)
    try {
      await vi.waitUntil(() => (responses[0]?.writableLength ?? 0) > MiB, { timeout: 2_000, interval: 5 })
      const res = responses[0]!
      // 64 MiB of live events while it does not read: far more than the
      // store itself retains (100 events), all parked for this one client.
      for (let n = 0; n < 256; n++) await running.hub.publish({ type: 'set', key: ['live', n], data: big })
      expect(res.destroyed).toBe(true)
    } finally {
      stalled.destroy()
    }
  })
})
