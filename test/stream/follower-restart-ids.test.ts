// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent } from '../../src/core/types'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import { FakeEventSource } from '../helpers/fake-event-source'
import { cleanups, freshChannelName, invalidatedWithTag, nextEvent } from './two-tabs'

// A plain SSE server counts its event ids 1, 2, 3 again after a restart. The
// tab holding the stream forgets the ids it applied when it reconnects (see
// plain-server-restart-ids), and relays that reconnect. A tab that follows
// through the relay only (it shows a page that opens no stream) must forget
// them then too: it used to skip the restarted server's new events whose ids
// it had been relayed before the restart, and kept showing what they invalidated.
const URL = 'https://app.test/events'
const soldOut = { type: 'invalidate', tags: ['product:42'], mode: 'remove' } as const

const removed = (event: CacheEvent) => event.type === 'invalidated' && event.mode === 'remove'

describe('a tab following a plain server through the relay, across the server restarting its ids', () => {
  it("applies the restarted server's events that reuse ids it was relayed before", async () => {
    const channel = freshChannelName('cachet-follower-ids')
    const leader = createCache({ staleTime: 60_000 })
    const onError = vi.fn<(error: Error) => void>()
    const follower = createCache({ staleTime: 60_000, onError })
    const observer = observe(follower, { key: ['recs', 7], tags: ['product:42'], fetcher: async () => 'answer' })
    cleanups.push(observer.subscribe(() => {}))
    await nextEvent(follower, (e) => e.type === 'updated' && e.entry.status === 'success', "the follower's first fetch")
    cleanups.push(broadcastInvalidations(leader, { channel }), broadcastInvalidations(follower, { channel }))
    const source = new FakeEventSource(URL)
    const connection = connectInvalidations(leader, { source })
    cleanups.push(() => connection.close())
    source.open()

    let removes = 0
    cleanups.push(follower.subscribe((event) => void (removed(event) && removes++)))

    // Before the restart: events 1 and 2 reach the follower through the relay.
    const heard = nextEvent(follower, invalidatedWithTag('elsewhere'), 'the relayed events 1 and 2')
    source.emit(soldOut, { id: '1' })
    source.emit({ type: 'invalidate', tags: ['elsewhere'] }, { id: '2' })
    await heard

    // The server restarts; the leader reconnects (its active entries, none
    // here, are invalidated, and that is relayed), then the new event 1 comes.
    source.drop()
    source.open()
    // One sender's messages arrive in order: once the leader's later marker
    // has reached the follower, the relayed new event 1 was applied or skipped.
    const marker = nextEvent(follower, invalidatedWithTag('marker'), 'the marker after it')
    source.emit(soldOut, { id: '1' })
    await leader.invalidate({ tags: ['marker'] })
    await marker
    expect(removes).toBe(2)
    expect(onError).not.toHaveBeenCalled()
  })
})
