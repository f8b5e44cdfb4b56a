// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent } from '../../src/core/types'
import { fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('set() and get()', () => {
  it('get() of an unknown key is undefined', () => {
    expect(createCache().get(['nothing'])).toBeUndefined()
  })

  it('set() stores a successful, fresh entry with every field', () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const data = { n: 1 }
    cache.set(['k', { a: 1 }], data, { tags: ['t1', 't2'], segment: 'seg', etag: '"e"' })
    expect(cache.get(['k', { a: 1 }], 'seg')).toEqual({
      key: ['k', { a: 1 }],
      segment: 'seg',
      tags: ['t1', 't2'],
      data,
      error: undefined,
      status: 'success',
      isFetching: false,
      isStale: false,
      updatedAt: Date.now(),
      etag: '"e"',
      model: undefined,
      modelVersion: undefined,
    })
    expect(cache.get(['k', { a: 1 }], 'seg')?.data).toBe(data)
  })

  it('keeps segments apart', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'a', { segment: 'a' })
    cache.set(['k'], 'none')
    expect(cache.get(['k'], 'a')?.data).toBe('a')
    expect(cache.get(['k'])?.data).toBe('none')
    expect(cache.get(['k'], 'b')).toBeUndefined()
  })

  it('finds an entry by an equal key with fields in another order', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k', { x: 1, y: 2 }], 'v')
    expect(cache.get(['k', { y: 2, x: 1 }])?.data).toBe('v')
  })

  it('calls an updater with the old data (undefined at first)', () => {
    const cache = createCache({ now: () => Date.now() })
    const updater = vi.fn((old: number | undefined) => (old ?? 0) + 1)
    cache.set<number>(['count'], updater)
    cache.set<number>(['count'], updater)
    expect(updater.mock.calls.map(([old]) => old)).toEqual([undefined, 1])
    expect(cache.get(['count'])?.data).toBe(2)
  })

  it('answers a fetch() from set data while it is fresh', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    cache.set(['k'], 'pushed')
    const fetcher = vi.fn(async () => 'fetched')
    await expect(cache.fetch({ key: ['k'], fetcher })).resolves.toBe('pushed')
    expect(fetcher).not.toHaveBeenCalled()
  })

  it('returns immutable snapshots: a later set does not change an entry already read', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'one')
    const first = cache.get(['k'])
    cache.set(['k'], 'two')
    expect(first?.data).toBe('one')
    expect(cache.get(['k'])?.data).toBe('two')
    expect(cache.get(['k'])).not.toBe(first)
  })

  it('hands out the same snapshot until something changes, then a new one', () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    cache.set(['k'], 'one', { tags: ['t'] })
    const first = cache.get(['k'])
    const observer = observe(cache, { key: ['k'], fetcher: async () => 'fetched' })
    expect(cache.get(['k'])).toBe(first)
    expect(observer.getSnapshot()).toBe(first)
    // Time alone makes it stale: a new snapshot, the old one untouched.
    vi.advanceTimersByTime(1000)
    const stale = cache.get(['k'])
    expect(stale).not.toBe(first)
    expect(first?.isStale).toBe(false)
    expect(stale?.isStale).toBe(true)
    expect(observer.getSnapshot()).toBe(stale)
    // A write (here new tags) makes a new one too.
    cache.set(['k'], (old) => old, { tags: ['t', 'u'] })
    const retagged = cache.get(['k'])
    expect(retagged).not.toBe(stale)
    expect(retagged?.tags).toEqual(['t', 'u'])
    expect(stale?.tags).toEqual(['t'])
    expect(cache.get(['k'])).toBe(retagged)
  })

  it('clears an error', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    await cache.fetch({ key: ['k'], fetcher: async () => Promise.reject(new Error('down')) }).catch(() => {})
    cache.set(['k'], 'repaired')
    expect(cache.get(['k'])).toMatchObject({ status: 'success', error: undefined, data: 'repaired' })
  })

  it('emits added carrying the data for a new entry (no phantom pending entry), then updated', () => {
    const cache = createCache({ now: () => Date.now() })
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    cache.set(['k'], 1)
    const afterFirst = events.length
    cache.set(['k'], 2)
    expect(events[0]?.type).toBe('added')
    const entries = events.flatMap((event) => ('entry' in event ? [event.entry] : []))
    expect(entries.every((entry) => entry.status === 'success')).toBe(true)
    expect(events.slice(afterFirst).map((event) => event.type)).toEqual(['updated'])
    const last = events.at(-1)
    expect(last && 'entry' in last ? last.entry.data : undefined).toBe(2)
  })

  it('announces a new entry once even when its updater sets the same key first', () => {
    const cache = createCache({ now: () => Date.now() })
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    cache.set(['k'], () => {
      cache.set(['k'], 'inner')
      return 'outer'
    })
    expect(events.filter((event) => event.type === 'added')).toHaveLength(1)
    expect(cache.get(['k'])?.data).toBe('outer')
  })

  it('stops sending events after unsubscribe', () => {
    const cache = createCache({ now: () => Date.now() })
    const listener = vi.fn()
    const unsubscribe = cache.subscribe(listener)
    cache.set(['k'], 1)
    const before = listener.mock.calls.length
    expect(before).toBeGreaterThan(0)
    unsubscribe()
    cache.set(['k'], 2)
    cache.set(['j'], 3)
    expect(listener).toHaveBeenCalledTimes(before)
  })

  it('notifies observers of set data', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['k'], 'one')
    const observer = observe(cache, { key: ['k'], fetcher: async () => 'fetched' })
    const listener = vi.fn()
    const detach = observer.subscribe(listener)
    await flush()
    cache.set(['k'], 'two')
    await flush()
    expect(listener).toHaveBeenCalled()
    expect(observer.getSnapshot()?.data).toBe('two')
    detach()
  })

  it('lets set tags be hit by a tag invalidation', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['p', 1], 'x', { tags: ['product:1'] })
    await expect(cache.invalidate({ tags: ['product:1'] })).resolves.toBe(1)
    expect(cache.get(['p', 1])?.isStale).toBe(true)
  })
})
