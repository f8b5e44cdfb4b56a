// @vitest-environment node
import { afterEach, describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../src/server'

// memoryStore ids are `<ms>-<seq>` from the wall clock, so an id from before a
// restart sorts below the new process's ids only if the clock never steps
// back across the restart. A restart onto a host whose clock is behind (a
// rolling deploy, an NTP step) issues ids below the old ones; once its clock
// passes a browser's old id, that id looks like one of its own: the replay
// skipped the new process's earlier events and said 'complete'. Only an id
// the store issued itself counts now.

afterEach(() => {
  vi.useRealTimers()
})

describe('memoryStore across a restart with the clock behind', () => {
  it("answers 'unavailable' for an id issued by the previous process", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 10_000 })
    const before = memoryStore()
    const oldId = await before.append({ type: 'invalidate', tags: ['seen-before-restart'] })
    await before.close()

    vi.setSystemTime(5_000) // the new process's clock is 5 s behind
    const after = memoryStore()
    const missed1 = await after.append({ type: 'invalidate', tags: ['missed-1'] }) // 5000-1 (5000-0 is the store's birth)
    vi.setSystemTime(12_000)
    await after.append({ type: 'invalidate', tags: ['missed-2'] }) // 12000-0
    expect(oldId).toBe('10000-1') // 10000-0 is that store's birth
    const replay = await after.readAfter(oldId)
    // Before the fix: [12000-0] and 'complete'; the event 5000-1 was silently skipped.
    expect(replay).toBe('unavailable')
    // Ids it did issue still replay exactly.
    expect(await after.readAfter(missed1)).toEqual([{ id: '12000-0', message: { type: 'invalidate', tags: ['missed-2'] } }])
    expect(await after.readAfter('12000-0')).toEqual([])
  })
})
