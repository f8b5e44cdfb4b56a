// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { drainedThenAnswered, twoTabs } from './stream-tabs'

// A reconnect invalidation ('unavailable') is relayed as `invalidate all: true`.
// When every tab reconnects (a hub restart), each tab used to get its own plus
// one per other tab while its refetch was in flight, each costing one more
// fetch: N tabs, N fetches per active entry per tab. It is now keyed on the
// sync's id, like a server event, so each tab applies it once. (Found by a
// stream review.)
describe('every tab reconnects after a hub restart (replay unavailable)', () => {
  it('each tab refetches its active entry once', async () => {
    const [a, b] = await twoTabs()
    for (const t of [a, b]) {
      t.source.emit({ type: 'sync', replay: 'none' }, { id: '1700000000000-0' })
      t.source.drop()
    }
    a.source.open()
    b.source.open()
    a.source.emit({ type: 'sync', replay: 'unavailable' }, { id: '1700000000001-0' })
    b.source.emit({ type: 'sync', replay: 'unavailable' }, { id: '1700000000001-0' })
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    await drainedThenAnswered(a, b, 1)
    // Not 3 each: the other tab's relayed copy of the same sync is skipped.
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
  })
})

// The same with no id to key the invalidation on: a restarted memory hub has
// an empty store, so its 'unavailable' sync carries none; a plain server sends
// no sync at all. A tab connected to the stream itself ignores the reconnect
// invalidations other tabs relay for it: its own reconnect covers its gap, and
// while connected it missed nothing. Before, each tab fetched twice.
describe('every tab reconnects, with no sync id to key the invalidation on', () => {
  it("a restarted memory hub ('unavailable' with no id): each tab refetches its active entry once", async () => {
    const [a, b] = await twoTabs()
    for (const t of [a, b]) {
      t.source.emit({ type: 'sync', replay: 'none' }, { id: '7' })
      t.source.drop()
    }
    a.source.open()
    b.source.open()
    a.source.emit({ type: 'sync', replay: 'unavailable' })
    b.source.emit({ type: 'sync', replay: 'unavailable' })
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    await drainedThenAnswered(a, b, 1)
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
  })

  it('a plain server (no sync): each tab refetches its active entry once', async () => {
    const [a, b] = await twoTabs()
    for (const t of [a, b]) t.source.drop()
    a.source.open()
    b.source.open()
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    await drainedThenAnswered(a, b, 1)
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
  })

  it('a tab whose own stream is closed still applies the reconnect invalidation another tab relays', async () => {
    const [a, b] = await twoTabs()
    b.source.fail() // a source passed in that gave up: b hears the server only through a
    a.source.drop()
    a.source.open()
    await drainedThenAnswered(a, b, 1)
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
  })
})
