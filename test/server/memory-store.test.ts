// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { memoryStore } from '../../src/server/memory-store'
import type { InvalidationMessage } from '../../src/stream/schema'
import type { StoredEvent } from '../../src/server'

// Ids of a replay, or the literal 'unavailable'.
const idsOf = (events: readonly StoredEvent[] | 'unavailable') => (events === 'unavailable' ? events : events.map((e) => e.id))

const tag = (n: number): InvalidationMessage => ({ type: 'invalidate', tags: [`t:${n}`] })

async function appendMany(store: ReturnType<typeof memoryStore>, count: number): Promise<string[]> {
  const ids: string[] = []
  for (let n = 0; n < count; n++) ids.push(await store.append(tag(n)))
  return ids
}

describe('memoryStore', () => {
  it('issues increasing ids, also within one millisecond and when the clock steps back', async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000 })
    const store = memoryStore()
    // The first id is the store's birth, its head while empty (see below).
    const ids = [(await store.lastId())!, ...(await appendMany(store, 3))]
    vi.setSystemTime(500)
    ids.push(await store.append(tag(3)))
    vi.setSystemTime(2_000)
    ids.push(await store.append(tag(4)))
    vi.useRealTimers()
    expect(ids).toEqual(['1000-0', '1000-1', '1000-2', '1000-3', '1000-4', '2000-0'])
    for (let i = 1; i < ids.length; i++) expect(store.compare(ids[i]!, ids[i - 1]!)).toBeGreaterThan(0)
  })

  it('replays the events after an id, in order', async () => {
    const store = memoryStore()
    const ids = await appendMany(store, 5)
    expect(idsOf(await store.readAfter(ids[1]!))).toEqual(ids.slice(2))
    expect(await store.readAfter(ids[4]!)).toEqual([])
    expect(await store.lastId()).toBe(ids[4])
  })

  it('keeps the last `retain` events; the newest dropped id still replays, older ones are unavailable', async () => {
    const store = memoryStore({ retain: 3 })
    const ids = await appendMany(store, 6) // keeps ids[3..5], dropped ids[0..2]
    expect(await store.readAfter(ids[1]!)).toBe('unavailable')
    expect(idsOf(await store.readAfter(ids[2]!))).toEqual(ids.slice(3))
    expect(idsOf(await store.readAfter(ids[3]!))).toEqual(ids.slice(4))
  })

  it('stays correct over many trims (compaction of the retained window)', async () => {
    const store = memoryStore({ retain: 4 })
    const ids = await appendMany(store, 50)
    const events = await store.readAfter(ids[45]!)
    expect(events === 'unavailable' ? events : events.map((e) => e.message)).toEqual([tag(46), tag(47), tag(48), tag(49)])
    expect(await store.readAfter(ids[44]!)).toBe('unavailable')
  })

  // A hub's first sync carries the store's head. While the store was empty it
  // had none: a browser that connected before the first publish had no id to
  // send back, so each of its reconnects got 'none' and refetched everything;
  // one that came back after a restart kept its old id, and got 'unavailable'
  // at each reconnect until the first publish.
  it('while empty, has a birth id as its head, which replays everything until an event after it is dropped', async () => {
    const store = memoryStore({ retain: 2 })
    const birth = await store.lastId()
    expect(birth).toMatch(/^\d+-\d+$/)
    expect(await store.readAfter(birth!)).toEqual([])
    const ids = await appendMany(store, 2)
    expect(store.compare(ids[0]!, birth!)).toBeGreaterThan(0)
    expect(await store.lastId()).toBe(ids[1])
    expect(idsOf(await store.readAfter(birth!))).toEqual(ids)
    ids.push(...(await appendMany(store, 1))) // drops ids[0], which a client at the birth has not seen
    expect(await store.readAfter(birth!)).toBe('unavailable')
    expect(idsOf(await store.readAfter(ids[0]!))).toEqual(ids.slice(1))
  })

  it("answers 'unavailable' for another store's birth id (a browser back after a restart), and vouches for its own", async () => {
    vi.useFakeTimers({ toFake: ['Date'], now: 1_000 })
    const before = memoryStore()
    const oldBirth = (await before.lastId())!
    vi.setSystemTime(2_000)
    const after = memoryStore()
    vi.useRealTimers()
    const birth = (await after.lastId())!
    expect(await after.readAfter(oldBirth)).toBe('unavailable')
    expect(await after.readAfter(birth)).toEqual([])
  })

  it('answers unavailable for ids it never issued: malformed, from the future, from an earlier process, or while empty', async () => {
    const store = memoryStore()
    expect(await store.readAfter('1-0')).toBe('unavailable') // empty store
    const ids = await appendMany(store, 2)
    expect(await store.readAfter('garbage')).toBe('unavailable')
    expect(await store.readAfter('007-1')).toBe('unavailable')
    expect(await store.readAfter('99999999999999-0')).toBe('unavailable')
    // An id below the first one, with nothing dropped, belongs to another life of the store.
    expect(await store.readAfter('1-0')).toBe('unavailable')
    expect(await store.readAfter(ids[0]!)).toHaveLength(1)
  })

  it('tells subscribers about each stored event until they unsubscribe', async () => {
    const store = memoryStore()
    const seen: string[] = []
    const unsubscribe = store.subscribe((event) => seen.push(event.id))
    const first = await store.append(tag(1))
    unsubscribe()
    await store.append(tag(2))
    expect(seen).toEqual([first])
  })

  it('keeps delivering to other subscribers when one throws', async () => {
    const store = memoryStore()
    const seen: string[] = []
    store.subscribe(() => {
      throw new Error('boom')
    })
    store.subscribe((event) => seen.push(event.id))
    const id = await store.append(tag(1))
    expect(seen).toEqual([id])
  })

  it('rejects appends after close and rejects a bad retain', async () => {
    const store = memoryStore()
    await store.close()
    await expect(store.append(tag(1))).rejects.toThrow(/closed/)
    expect(() => memoryStore({ retain: 0 })).toThrow(/retain must be a positive integer/)
  })
})

describe('stream ids', () => {
  it('accepts only canonical <ms>-<seq> ids whose parts fit in 64 bits, and orders them numerically', async () => {
    const { compareStreamIds, isStreamId } = await import('../../src/server/stream-id')
    expect(isStreamId('1700000000000-0')).toBe(true)
    expect(isStreamId('18446744073709551615-18446744073709551615')).toBe(true)
    for (const bad of ['18446744073709551616-0', '01-0', '1-01', '1', '1-', '-1', '1-0 ', 'a-b']) {
      expect(isStreamId(bad), bad).toBe(false)
    }
    expect(compareStreamIds('9-0', '10-0')).toBeLessThan(0)
    expect(compareStreamIds('10-2', '10-10')).toBeLessThan(0)
    expect(compareStreamIds('10-10', '10-10')).toBe(0)
    expect(compareStreamIds('11-0', '10-99')).toBeGreaterThan(0)
  })
})
