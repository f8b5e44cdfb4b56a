// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { Cache } from '../../src/core/types'
import { broadcastInvalidations } from '../../src/stream/broadcast'
import { connectInvalidations } from '../../src/stream/connect'
import type { InvalidationMessage } from '../../src/stream/schema'
import { FakeEventSource } from '../helpers/fake-event-source'
import { cleanups, freshChannelName, nextEvent } from './two-tabs'

// A new connection carries no Last-Event-ID, so the hub answers `sync: none`
// and replays nothing. When the cache heard this stream before (an earlier
// connection: the user left the page that streams and came back; or another
// tab's relay: the tab holding the stream closed and this one took it over),
// events may have come in between. The hub's first sync names its newest
// event: when that is not the last one this cache heard, the active entries
// are invalidated, as after a reconnect the hub could not replay. Before, they
// kept showing what those events had invalidated until their staleTime ran out.
const URL = 'https://app.test/events'

/** A cache with one active entry, fresh for a minute; `fetches()` counts its fetcher's runs. */
async function activeCache(): Promise<{ cache: Cache; fetches: () => number; onError: ReturnType<typeof vi.fn> }> {
  const onError = vi.fn()
  const cache = createCache({ staleTime: 60_000, onError })
  let runs = 0
  const observer = observe(cache, { key: ['recs'], fetcher: async () => `answer ${++runs}` })
  cleanups.push(observer.subscribe(() => {}))
  await vi.waitFor(() => expect(cache.get(['recs'])?.status).toBe('success'), { timeout: 2_000, interval: 1 })
  return { cache, fetches: () => runs, onError }
}

function connect(cache: Cache): FakeEventSource {
  const source = new FakeEventSource(URL)
  const connection = connectInvalidations(cache, { source })
  cleanups.push(() => connection.close())
  return source
}

/** A first connection that heard the sync at id 5, then `events` (id 6 on), and was closed. */
function heardBefore(cache: Cache, ...events: InvalidationMessage[]): void {
  const first = new FakeEventSource(URL)
  const connection = connectInvalidations(cache, { source: first })
  first.open()
  first.emit({ type: 'sync', replay: 'none' }, { id: '5' })
  events.forEach((event, i) => first.emit(event, { id: String(6 + i) }))
  connection.close()
}

describe('a new connection to a hub this cache heard before', () => {
  it('invalidates the active entries when the first sync is past the last event heard (the page that streams was left and shown again)', async () => {
    const { cache } = await activeCache()
    const invalidate = vi.spyOn(cache, 'invalidate')
    heardBefore(cache, { type: 'invalidate', tags: ['elsewhere'] })
    invalidate.mockClear()

    const second = connect(cache)
    second.open()
    second.emit({ type: 'sync', replay: 'none' }, { id: '9' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(cache.get(['recs'])?.isStale).toBe(true)
  })

  it('still invalidates after a connection in between closed before its first sync (the user came back and left again while it connected)', async () => {
    const { cache } = await activeCache()
    const invalidate = vi.spyOn(cache, 'invalidate')
    heardBefore(cache, { type: 'invalidate', tags: ['elsewhere'] })
    // Meanwhile an event was published, and two connections came and went:
    // one closed before it opened, one after it opened but before its sync.
    connectInvalidations(cache, { source: new FakeEventSource(URL) }).close()
    const early = new FakeEventSource(URL)
    const closedEarly = connectInvalidations(cache, { source: early })
    early.open()
    closedEarly.close()
    invalidate.mockClear()

    const last = connect(cache)
    last.open()
    last.emit({ type: 'sync', replay: 'none' }, { id: '9' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({})
    expect(cache.get(['recs'])?.isStale).toBe(true)
  })

  it('invalidates nothing when the first sync is at the last event heard (nothing was published meanwhile)', async () => {
    const { cache } = await activeCache()
    const invalidate = vi.spyOn(cache, 'invalidate')
    heardBefore(cache)

    const second = connect(cache)
    second.open()
    second.emit({ type: 'sync', replay: 'none' }, { id: '5' })
    second.emit({ type: 'invalidate', tags: ['elsewhere'] }, { id: '6' })
    expect(invalidate).toHaveBeenCalledExactlyOnceWith({ tags: ['elsewhere'] }, undefined)
    expect(cache.get(['recs'])?.isStale).toBe(false)
  })

  it("invalidates nothing on a cache's first connection, nor with onReconnect: 'none'", async () => {
    const { cache } = await activeCache()
    const invalidate = vi.spyOn(cache, 'invalidate')
    // React StrictMode runs an effect twice: connected and closed before it opened.
    connectInvalidations(cache, { source: new FakeEventSource(URL) }).close()
    const first = connect(cache)
    first.open()
    first.emit({ type: 'sync', replay: 'none' }, { id: '5' })
    expect(invalidate).not.toHaveBeenCalled()

    const other = createCache({ staleTime: 60_000 })
    const invalidateOther = vi.spyOn(other, 'invalidate')
    const before = new FakeEventSource(URL)
    const connection = connectInvalidations(other, { source: before })
    before.open()
    before.emit({ type: 'sync', replay: 'none' }, { id: '5' })
    connection.close()
    const after = new FakeEventSource(URL)
    cleanups.push(connectInvalidations(other, { source: after, onReconnect: 'none' }).close)
    after.open()
    after.emit({ type: 'sync', replay: 'none' }, { id: '9' })
    expect(invalidateOther).not.toHaveBeenCalled()
  })

  it('invalidates once in a tab that takes the stream over from a tab that closed, and in the tab it relays to', async () => {
    const channel = freshChannelName('cachet-takeover')
    const leader = await activeCache()
    const taker = await activeCache()
    const follower = await activeCache()
    const stopLeaderRelay = broadcastInvalidations(leader.cache, { channel })
    cleanups.push(broadcastInvalidations(taker.cache, { channel }), broadcastInvalidations(follower.cache, { channel }))
    const leaderSource = new FakeEventSource(URL)
    const leaderConnection = connectInvalidations(leader.cache, { source: leaderSource })
    leaderSource.open()
    leaderSource.emit({ type: 'sync', replay: 'none' }, { id: '5' })
    const relayed = nextEvent(taker.cache, (e) => e.type === 'invalidated', 'the taker hearing the relayed event')
    leaderSource.emit({ type: 'invalidate', tags: ['elsewhere'] }, { id: '6' })
    await relayed

    // The leader tab closes; an event is published before the taker connects.
    leaderConnection.close()
    stopLeaderRelay()
    const takerSource = connect(taker.cache)
    const followerHeard = nextEvent(follower.cache, (e) => e.type === 'invalidated' && e.target.tags === undefined, 'the follower hearing the takeover')
    takerSource.open()
    takerSource.emit({ type: 'sync', replay: 'none' }, { id: '7' })
    expect(taker.cache.get(['recs'])?.isStale).toBe(true)
    await followerHeard
    await vi.waitFor(() => expect(follower.fetches()).toBe(2), { timeout: 2_000, interval: 1 })
    await vi.waitFor(() => expect(taker.fetches()).toBe(2), { timeout: 2_000, interval: 1 })
    expect(taker.onError).not.toHaveBeenCalled()
    expect(follower.onError).not.toHaveBeenCalled()
  })
})
