// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { KEY, answer, drainedThenAnswered, twoTabs } from './stream-tabs'
import { nextEvent } from './two-tabs'

// Every tab with its own stream and the relay (see ./stream-tabs).
const priceEdit = { type: 'invalidate', tags: ['product:42'] }
const modelSwitch = { type: 'model-version', model: 'recommender', version: 'r3', policy: 'immediate' }

describe.each([
  ['an invalidation', priceEdit],
  ['an immediate model-version change', modelSwitch],
])('each tab with its own stream and the relay: %s with an event id', (_, message) => {
  it("reaches both streams before either relayed copy: each tab's fetcher runs once", async () => {
    const [a, b] = await twoTabs()

    a.source.emit(message, { id: '1700000000000-0' })
    b.source.emit(message, { id: '1700000000000-0' })
    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    // Both relayed copies arrive while both refetches are still in flight.
    await drainedThenAnswered(a, b, 1)

    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    for (const t of [a, b]) {
      expect(t.cache.get(KEY)?.isStale).toBe(false)
      expect(t.cache.get(KEY)?.modelVersion).toBe(message === modelSwitch ? 'r3' : 'r2')
      expect(t.onError).not.toHaveBeenCalled()
    }
  })

  it("reaches one tab through the relay before its own stream: that tab's fetcher still runs once", async () => {
    const [a, b] = await twoTabs()

    const bHeard = nextEvent(b.cache, (e) => e.type === (message === modelSwitch ? 'model-version' : 'invalidated'), "b hearing a's relay")
    a.source.emit(message, { id: '1700000000000-0' })
    await bHeard
    expect(b.calls).toHaveLength(2)
    // b's own stream delivers the same event while the refetch it caused is in flight.
    b.source.emit(message, { id: '1700000000000-0' })
    await drainedThenAnswered(a, b, 1)

    expect(a.calls).toHaveLength(2)
    expect(b.calls).toHaveLength(2)
    expect(b.cache.get(KEY)?.isStale).toBe(false)
    expect(a.onError).not.toHaveBeenCalled()
    expect(b.onError).not.toHaveBeenCalled()
  })
})

describe('each tab with its own stream and the relay: events without ids', () => {
  // Without an id two copies of one event cannot be told apart from two
  // events that say the same thing (two price edits in a row), and skipping
  // a real event would leave stale data on screen. So both copies are
  // applied, as before: the copy that lands during the refetch costs the one
  // extra fetch that any invalidation during a fetch costs.
  it('applies both copies, as before: one follow-up fetch per tab', async () => {
    const [a, b] = await twoTabs()

    a.source.emit(priceEdit)
    b.source.emit(priceEdit)
    await drainedThenAnswered(a, b, 1)
    expect(a.calls).toHaveLength(3)
    expect(b.calls).toHaveLength(3)
    await answer(a, 2)
    await answer(b, 2)
    expect(a.calls).toHaveLength(3)
    expect(b.calls).toHaveLength(3)
  })
})
