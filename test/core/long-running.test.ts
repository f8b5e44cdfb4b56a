// @vitest-environment jsdom
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { internalsOf } from '../../src/core/internals'
import { observe } from '../../src/core/observer'
import { fakeTimersEachTest, flush } from '../helpers/core'

// Long-running use: after N cycles nothing of
// the removed or unmounted is left in an index, a timer or a window listener.

fakeTimersEachTest()

const mapOf = (bucket: unknown) => (bucket as { map: Map<unknown, unknown> }).map

describe('long-lived cache: what is cleaned up', () => {
  it('the invalidation index holds nothing once its entries are collected (tags changed, segments, long keys)', async () => {
    const cache = createCache({ gcTime: 1000 })
    const core = internalsOf(cache)
    for (let round = 0; round < 20; round++) {
      for (let n = 0; n < 50; n++) {
        const segment = n % 3 === 0 ? undefined : `seg-${n % 5}-${round}`
        cache.set(['user', n, 'posts', { page: round }], n, { segment, tags: [`t${n}`, 'shared'] })
        cache.set(['user', n, 'posts', { page: round }], n, { segment, tags: [`u${n}-${round}`] }) // re-tagged
        const detach = observe(cache, { key: ['user', n, 'x'], segment, tags: ['shared', `o${n}`], fetcher: async () => n }).subscribe(() => {})
        await flush()
        detach()
      }
      await cache.invalidate({ tags: ['shared'] }, { mode: 'remove' })
      await vi.advanceTimersByTimeAsync(1001)
    }
    expect(core.entries.size).toBe(0)
    expect(mapOf(core.index.byTag).size).toBe(0)
    expect(mapOf(core.index.byPrefix).size).toBe(0)
    expect(core.index.segments.size).toBe(0)
    expect((core as unknown as { active: Set<unknown> }).active.size).toBe(0)
    expect((core as unknown as { gc: { lanes: Map<unknown, unknown> } }).gc.lanes.size).toBe(0)
    expect(vi.getTimerCount()).toBe(0)
  })

  it('unmounting leaves no stale timer, interval, focus/online listener or batched notification', async () => {
    const added: string[] = []
    const removed: string[] = []
    const add = vi.spyOn(window, 'addEventListener').mockImplementation((type) => void added.push(type))
    const remove = vi.spyOn(window, 'removeEventListener').mockImplementation((type) => void removed.push(type))
    const cache = createCache({ gcTime: Infinity, staleTime: 5_000 })
    for (let n = 0; n < 200; n++) {
      const observer = observe(cache, { key: ['k', n % 7], fetcher: async () => n, refetchInterval: 1_000 })
      const detach = observer.subscribe(() => {})
      await flush() // fetched: a stale timer runs while observed
      cache.clear() // observers move to new entries
      await flush()
      detach()
    }
    await flush()
    expect(vi.getTimerCount()).toBe(0)
    expect(added.length).toBeGreaterThan(0)
    expect(added.sort()).toEqual(removed.sort())
    const core = internalsOf(cache)
    expect((core as unknown as { active: Set<unknown> }).active.size).toBe(0)
    expect((core.batch as unknown as { pending: Set<unknown> }).pending.size).toBe(0)
    add.mockRestore()
    remove.mockRestore()
  })
})

describe('long-lived cache: the gc queue', () => {
  const slotsOf = (cache: object) => {
    // Whatever a lane is (pairs in an array from `head`, or a Set), what it holds for expired or rescheduled entries counts.
    const { lanes } = (internalsOf(cache) as unknown as { gc: { lanes: Map<number, Set<unknown> | { queue: unknown[]; head: number }> } }).gc
    let slots = 0
    for (const lane of lanes.values()) slots += lane instanceof Set ? lane.size : (lane.queue.length - lane.head) / 2
    return slots
  }

  it('keeps a slot per entry, not one per change, for an unobserved key set every second', async () => {
    const cache = createCache() // gcTime: 5 minutes
    for (let n = 0; n < 2_000; n++) {
      cache.set(['price', n % 10], n)
      await vi.advanceTimersByTimeAsync(1_000)
    }
    // 10 entries, each in the queue once.
    expect(slotsOf(cache)).toBe(10)
    // What is scheduled still goes exactly gcTime after its last set.
    expect(cache.get(['price', 9])?.data).toBe(1_999)
    await vi.advanceTimersByTimeAsync(300_000 - 1_000 - 1)
    expect(cache.get(['price', 9])?.data).toBe(1_999)
    await vi.advanceTimersByTimeAsync(1)
    expect(cache.get(['price', 9])).toBeUndefined()
    expect(internalsOf(cache).entries.size).toBe(0)
    expect(slotsOf(cache)).toBe(0)
  })

  it('keeps a slot per entry for a key mounted and unmounted over and over (a virtualized list)', async () => {
    const cache = createCache({ staleTime: Infinity })
    for (let n = 0; n < 1_000; n++) {
      const detach = observe(cache, { key: ['row', n % 20], fetcher: async () => n }).subscribe(() => {})
      await flush()
      detach()
      await vi.advanceTimersByTimeAsync(100)
    }
    expect(internalsOf(cache).entries.size).toBe(20)
    expect(slotsOf(cache)).toBe(20)
    await vi.advanceTimersByTimeAsync(300_000)
    expect(internalsOf(cache).entries.size).toBe(0)
  })
})
