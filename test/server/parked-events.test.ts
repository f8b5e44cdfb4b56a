// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { gatedStore } from './gated-store'
import { startHub, type HubServer } from './hub-setup'
import { grantFromHeader } from './segment-isolation'

// Events stored while a new client's replay (or the store's head) is being
// read are parked, and go out after its sync. Found by a test audit: a client
// that connected without Last-Event-ID lost an event stored while the head was
// read (the head already counted it, so it was dropped as already seen), and
// no test published in that window to check the segment filter.

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('events stored while a client connects', () => {
  it.each([
    ['with Last-Event-ID', true],
    ['without Last-Event-ID', false],
  ])('reach it after its sync, %s, within its segments', async (_mode, withId) => {
    const { store, gate, reading } = gatedStore({ replayBeforeGate: true })
    running = await startHub({ store, authorize: grantFromHeader })
    const first = await running.hub.publish({ type: 'invalidate', tags: ['start'] })
    const a = await running.connect({ 'x-segment': 'A', ...(withId ? { 'Last-Event-ID': first } : {}) })
    await reading.promise
    await running.hub.publish({ type: 'invalidate', segment: 'B', tags: ['secret-B-parked'] })
    const shown = await running.hub.publish({ type: 'invalidate', segment: 'A', tags: ['a-parked'] })
    gate.resolve()
    await a.waitFor((s) => s.raw.includes('a-parked'), 'the parked event of segment A')
    const messages = a.messages()
    expect(messages.map(({ message }) => message.type)).toEqual(['sync', 'invalidate'])
    expect(messages[1]!.id).toBe(shown)
    expect(a.raw).not.toContain('secret-B')
  })

  // Over 1 MiB parked drops a client stalled in its replay (parked-growth.test.ts),
  // but one event larger than that is no stalled client, as it is none live
  // (big-live-event.test.ts). Before, every client that was connecting when a
  // big `set` was published (its replay or the store's head being read) was
  // dropped, reconnected and was sent the event again by replay.
  it('include one event larger than the 1 MiB allowance, and the stream stays open', async () => {
    const { store, gate, reading } = gatedStore({ headBeforeGate: true })
    running = await startHub({ store })
    const client = await running.connect()
    await reading.promise
    const big = await running.hub.publish({ type: 'set', key: ['big'], data: 'x'.repeat(2 * 1024 * 1024) })
    gate.resolve()
    const whole = (raw: string) => raw.endsWith('\n\n') && raw.includes(`id: ${big}\n`)
    await client.waitFor((s) => s.isEnded || whole(s.raw), 'the parked big event (or the stream ending)', 5_000)
    expect(client.isEnded).toBe(false)
    // The sync carries the empty store's birth id (see memory-store.test.ts).
    expect(client.messages().map(({ id, message }) => [id, message.type])).toEqual([[expect.stringMatching(/^\d+-\d+$/), 'sync'], [big, 'set']])
  })

  it("never moves the client's last event id back: a heartbeat after parked events carries the newest", async () => {
    // The head is read before the publishes below, so the parked events are newer than it.
    const { store, gate, reading } = gatedStore({ headBeforeGate: true })
    running = await startHub({ store, heartbeatMs: 20 })
    await running.hub.publish({ type: 'invalidate', tags: ['start'] })
    const client = await running.connect()
    await reading.promise
    const parked = await running.hub.publish({ type: 'invalidate', tags: ['parked'] })
    gate.resolve()
    await client.waitFor((s) => s.frames().filter((f) => f.comments.length > 0).length >= 2, 'two heartbeats')
    const ids = client.frames().flatMap((f) => (f.id === undefined ? [] : [f.id]))
    expect(ids.at(-1)).toBe(parked)
  })
})
