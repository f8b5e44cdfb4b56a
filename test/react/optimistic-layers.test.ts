// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { applyOptimistic } from '../../src/react/optimistic'

// Optimistic layers stay on an entry's stack until every layer of it has
// settled. Mutations that overlap without pause (a like button hammered, an
// autosave per keystroke whose request outlasts the next keystroke) never
// leave the stack all-settled, so every confirmed layer stays, holding its
// updater and vars, and each rollback re-runs all of them.
describe('optimistic layers on a busy entry', () => {
  it('does not keep confirmed layers that no earlier layer can roll back under', () => {
    const cache = createCache()
    cache.set(['post'], { likes: 0 })
    let runs = 0
    const like = (old: unknown) => {
      runs++
      return { likes: (old as { likes: number }).likes + 1 }
    }
    let inFlight = applyOptimistic(cache, ['post'], undefined, like)
    for (let n = 0; n < 1000; n++) {
      // The next one starts before the one in flight confirms: always one unsettled.
      const next = applyOptimistic(cache, ['post'], undefined, like)
      inFlight.confirm()
      inFlight = next
    }
    expect(cache.get<{ likes: number }>(['post'])?.data).toEqual({ likes: 1001 })
    runs = 0
    inFlight.rollback()
    // Undoing the last like needs the base and that one layer, not 1000 replays.
    expect(cache.get<{ likes: number }>(['post'])?.data).toEqual({ likes: 1000 })
    expect(runs).toBeLessThanOrEqual(4)
  })
})

describe('optimistic layers folded into the base', () => {
  it('still let a write from elsewhere win when a later layer rolls back', () => {
    const cache = createCache()
    cache.set(['post'], { likes: 0, title: 'a' })
    const like = (old: unknown) => ({ ...(old as object), likes: (old as { likes: number }).likes + 1 })
    const a = applyOptimistic(cache, ['post'], undefined, like)
    const b = applyOptimistic(cache, ['post'], undefined, like)
    a.confirm() // folded into the base: b is still in flight
    cache.set(['post'], { likes: 1, title: 'b' }) // a refetch: the server has a's like, and a new title
    b.rollback()
    expect(cache.get(['post'])?.data).toEqual({ likes: 1, title: 'b' })
  })

  it('keeps a confirmed layer while an earlier one is in flight, and replays it when that one rolls back', () => {
    const cache = createCache()
    cache.set(['n'], 1)
    const plus = (old: unknown) => (old as number) + 1
    const a = applyOptimistic(cache, ['n'], undefined, plus)
    const b = applyOptimistic(cache, ['n'], undefined, plus)
    b.confirm()
    a.rollback()
    expect(cache.get(['n'])?.data).toBe(2)
  })

  it('an optimistic write is one update that keeps the model stamp, never a moment without it', () => {
    const cache = createCache({ models: { recommender: 'r3' } })
    cache.set(['recs'], ['a', 'b'], { model: 'recommender' })
    cache.setModelVersion('recommender', 'r4') // lazy: the entry still holds r3's answer
    const seen: (string | undefined)[][] = []
    const stop = cache.subscribe((event) => {
      if (event.type === 'updated') seen.push([event.entry.model, event.entry.modelVersion])
    })
    applyOptimistic(cache, ['recs'], undefined, () => ['a'])
    stop()
    expect(seen).toEqual([['recommender', 'r3']])
  })
})
