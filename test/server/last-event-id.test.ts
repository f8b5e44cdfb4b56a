// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore } from '../../src/server'
import { startHub, type HubServer } from './hub-setup'
import { grantFromHeader } from './segment-isolation'

// A browser's last event id moves only with what reaches it. Events of
// segments it may not see moved the hub's cursor for it but never reached it,
// so under per-user traffic its id aged out of the retention although it had
// missed nothing it may see: its next reconnect (a proxy timeout, a laptop
// waking) was answered 'unavailable' and refetched every active query. The
// heartbeat now carries the id it is past (an id with no data fires no event).

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe("a client that sees none of the recent events", () => {
  it("is given the id it is past at the next heartbeat, and reconnecting with it gets 'complete'", async () => {
    running = await startHub({ store: memoryStore({ retain: 3 }), authorize: grantFromHeader, heartbeatMs: 20 })
    const { hub, connect } = running
    await hub.publish({ type: 'invalidate', tags: ['public'] })
    const stream = await connect({ 'x-segment': 'A' })
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    // Other users' invalidations: none is for segment A, and they push the sync's id out of retention.
    let newest = ''
    for (let n = 0; n < 5; n++) newest = await hub.publish({ type: 'invalidate', segment: 'B', tags: [`b${n}`] })
    await stream.waitFor((s) => s.frames().some((frame) => frame.id === newest), 'a heartbeat with the newest id')
    const frame = stream.frames().find((f) => f.id === newest)!
    expect(frame.data).toBeUndefined() // no event fires for it
    expect(stream.messages()).toHaveLength(1) // nothing of B's reached it
    expect(stream.raw).not.toContain('"b0"')
    // What the browser sends back as Last-Event-ID: the last id in the stream.
    const lastId = stream.frames().filter((f) => f.id !== undefined).at(-1)!.id!
    expect(lastId).toBe(newest)
    stream.close()
    const again = await connect({ 'x-segment': 'A', 'Last-Event-ID': lastId })
    await again.waitFor((s) => s.raw.includes('"type":"sync"'), 'the sync')
    expect(again.raw).toContain('"replay":"complete"')
  })

  it('gets plain heartbeats while it has every id it is past', async () => {
    running = await startHub({ authorize: grantFromHeader, heartbeatMs: 20 })
    const { hub, connect } = running
    const stream = await connect({ 'x-segment': 'A' })
    await stream.waitFor((s) => s.messages().length === 1, 'the sync')
    const id = await hub.publish({ type: 'invalidate', segment: 'A', tags: ['a'] })
    await stream.waitFor((s) => s.frames().filter((f) => f.comments.length > 0).length >= 3, 'three heartbeats')
    const heartbeats = stream.frames().filter((f) => f.comments.length > 0)
    expect(heartbeats.every((f) => f.id === undefined)).toBe(true)
    expect(stream.messages().at(-1)?.id).toBe(id)
  })
})
