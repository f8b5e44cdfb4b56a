// @vitest-environment node
import { EventSource } from 'eventsource'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { InvalidationMessage } from '../../src/stream/schema'
import { startHub, type HubServer } from './hub-setup'

// The hub against a real EventSource implementation (the `eventsource`
// package): what the browser resends as Last-Event-ID after a drop, and what
// the hub then replays.

let running: HubServer | undefined
let source: EventSource | undefined
afterEach(async () => {
  source?.close()
  vi.useRealTimers()
  await running?.stop()
  running = undefined
  source = undefined
})

const tag = (name: string): InvalidationMessage => ({ type: 'invalidate', tags: [name] })

describe('invalidation hub with a real EventSource', () => {
  it('after a dropped connection the EventSource resends the sync id and is replayed what it missed', async () => {
    running = await startHub()
    const { hub, server, url } = running
    const before = await hub.publish(tag('before'))

    // Only setTimeout is faked, for the reconnect delay the hub sets (1–5 s);
    // vi.waitUntil keeps real timers for its own bound.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const received: { lastEventId: string; data: unknown }[] = []
    source = new EventSource(url)
    source.onmessage = (event) => received.push({ lastEventId: event.lastEventId, data: JSON.parse(event.data as string) })
    await vi.waitUntil(() => received.length === 1, { timeout: 3_000, interval: 5 })
    // No event reached this client yet, but the sync names the head it is current with.
    expect(received[0]).toEqual({ lastEventId: before, data: { type: 'sync', replay: 'none' } })

    let errors = 0
    source.onerror = () => errors++
    server.closeAllConnections()
    await vi.waitUntil(() => errors === 1, { timeout: 3_000, interval: 5 })
    const missed = await hub.publish(tag('missed'))
    vi.advanceTimersByTime(5_000) // the longest reconnect delay the hub sets

    await vi.waitUntil(() => received.length === 3, { timeout: 3_000, interval: 5 })
    expect(received.slice(1)).toEqual([
      { lastEventId: missed, data: tag('missed') },
      { lastEventId: missed, data: { type: 'sync', replay: 'complete' } },
    ])
  })
})
