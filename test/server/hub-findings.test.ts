// @vitest-environment node
import { afterEach, describe, expect, it } from 'vitest'
import { gatedStore } from './gated-store'
import { startHub, type HubServer } from './hub-setup'

// Shrunk counterexamples of hub.property.test.ts.

let running: HubServer | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
})

describe('the sync id never runs past an event the client is sent after it', () => {
  // Property counterexample: [{ connect-during-publish, no Last-Event-ID, 1+ publishes }]
  // (memory store with reads a turn late, and redis). The event stored while the head
  // was read is parked and sent after the sync, but the sync carried its id: the
  // sync said "current with X" and X followed with the same id. A browser that
  // reconnected between the two frames sent X back and never got X.
  it.each([
    ['without Last-Event-ID', false],
    ['with an unknown Last-Event-ID (unavailable)', true],
  ])('%s', async (_name, stale) => {
    const { store, gate, reading } = gatedStore({ replayBeforeGate: false })
    running = await startHub({ store })
    const start = await running.hub.publish({ type: 'invalidate', tags: ['start'] })
    const client = await running.connect(stale ? { 'Last-Event-ID': '1-0' } : {})
    await reading.promise
    const parked = await running.hub.publish({ type: 'invalidate', tags: ['parked'] })
    gate.resolve()
    await client.waitFor((s) => s.raw.includes('"parked"'), 'the parked event')
    const [sync, event] = client.messages()
    expect(sync!.message).toEqual({ type: 'sync', replay: stale ? 'unavailable' : 'none' })
    expect(event!.id).toBe(parked)
    // The sync's id is where the client stands before the parked event: `start`, not `parked`.
    expect(sync!.id).toBe(start)
  })
})
