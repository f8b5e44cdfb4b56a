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
