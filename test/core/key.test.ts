// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { hashKey } from '../../src/core/key'
import type { CacheEvent } from '../../src/core/types'
import { fakeTimersEachTest } from '../helpers/core'

fakeTimersEachTest()

const hash = (key: unknown) => hashKey(key).hash

/** The TypeError a call throws, so a test can read its message. */
function typeErrorOf(run: () => unknown): TypeError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(TypeError)
    return error as TypeError
  }
  throw new Error('expected a TypeError, nothing was thrown')
}

describe('key hashing', () => {
  it('ignores object field order', () => {
    expect(hash(['a', { x: 1, y: 2 }])).toBe(hash(['a', { y: 2, x: 1 }]))
    expect(hash(['a', { outer: { b: [1, { d: 1, c: 2 }], a: null } }])).toBe(
      hash(['a', { outer: { a: null, b: [1, { c: 2, d: 1 }] } }]),
    )
  })

  it('keeps array order, element types and values apart', () => {
    const distinct = [
      ['a', 1, 2],
      ['a', 2, 1],
      ['a', '1', 2],
      ['a', [1, 2]],
      ['a', null],
      ['a', 'null'],
      ['a', true],
      ['a', 'true'],
      ['a', { x: 1 }],
      ['a', { x: '1' }],
      ['a', { y: 1 }],
      ['a'],
      [],
    ]
    const hashes = distinct.map(hash)
    expect(new Set(hashes).size).toBe(distinct.length)
  })

  it('leaves undefined object fields out, as JSON does', () => {
    expect(hash(['a', { x: 1, y: undefined }])).toBe(hash(['a', { x: 1 }]))
  })

  it('throws a TypeError for a key that is not an array', () => {
    for (const bad of ['a', 42, { 0: 'a' }, null, undefined]) {
      const error = typeErrorOf(() => hashKey(bad))
      expect(error.message).toMatch(/array/)
    }
  })

  it.each([
    ['a Date', ['a', { at: new Date(0) }], 'key[1].at'],
    ['a function', ['a', () => 1], 'key[1]'],
    ['a symbol', ['a', { s: Symbol('s') }], 'key[1].s'],
    ['a bigint', ['a', [1, 2n]], 'key[1][1]'],
    ['a Map', [new Map()], 'key[0]'],
    ['a class instance', ['a', { range: { from: new (class Point { x = 1 })() } }], 'key[1].range.from'],
  ])('throws a TypeError naming the path of %s', (_what, key, path) => {
    const error = typeErrorOf(() => hashKey(key))
    expect(error.message).toContain(path)
    // The path names the offending value, not a parent or a sibling.
    expect(error.message).not.toContain(`${path}.`)
    expect(error.message).not.toContain(`${path}[`)
  })

  it('names the back-reference path of a cycle', () => {
    const node: Record<string, unknown> = { name: 'root', child: { name: 'leaf' } }
    ;(node.child as Record<string, unknown>).parent = node
    const error = typeErrorOf(() => hashKey(['tree', node]))
    expect(error.message).toContain('key[1].child.parent')
    expect(error.message).toMatch(/cycle/i)
  })

  it('names the back-reference path of a cycle through an array', () => {
    const list: unknown[] = [1]
    list.push(list)
    const error = typeErrorOf(() => hashKey(['a', list]))
    expect(error.message).toContain('key[1][1]')
  })

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { x: 1 }
    expect(hash(['a', shared, shared])).toBe(hash(['a', { x: 1 }, { x: 1 }]))
  })
})

describe('the key an entry shows', () => {
  // Entries keep the key's hash, not the array: the key is rebuilt from it.
  it.each([
    [[]],
    [['recs', 7, true, null, -1.5, 'a\u0001b', '']],
    [['user', undefined, 'posts']],
    [['recs', { page: 2, filter: { tags: ['x', 'y'], min: 0 } }, [1, [2, 3]]]],
  ])('a set entry shows a key deeply equal to %j', (key) => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(key, 'v')
    expect(cache.get(key)?.key).toEqual(key)
  })

  it('a set entry shows object fields in sorted order (the same key)', () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['recs', { user: 7, page: 1 }], 'v')
    expect(JSON.stringify(cache.get(['recs', { page: 1, user: 7 }])?.key)).toBe('["recs",{"page":1,"user":7}]')
  })

  it('keeps the array when an undefined inside a nested array cannot be rebuilt', () => {
    const cache = createCache({ now: () => Date.now() })
    const key = ['grid', [1, undefined, 3]]
    cache.set(key, 'v')
    expect(cache.get(key)?.key).toBe(key)
    expect(cache.get(['grid', [1, null, 3]])).toBeUndefined()
  })

  it('a fetcher and a fetched entry see the array the query passed', async () => {
    const cache = createCache({ now: () => Date.now() })
    const key = ['recs', { page: 1 }] as const
    const seen: unknown[] = []
    await cache.fetch({ key, fetcher: async (ctx) => (seen.push(ctx.key), 'v') })
    expect(seen[0]).toBe(key)
    expect(cache.get(key)?.key).toBe(key)
  })
})

describe('bad keys at the cache leave it consistent', () => {
  function cacheWithEvents() {
    const cache = createCache({ now: () => Date.now() })
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    return { cache, events }
  }

  it('fetch() rejects with the TypeError, runs no fetcher and adds no entry', async () => {
    const { cache, events } = cacheWithEvents()
    const fetcher = vi.fn(async () => 'never')
    await expect(async () => cache.fetch({ key: ['a', { at: new Date() }], fetcher })).rejects.toThrow(
      /key\[1\]\.at/,
    )
    await expect(async () =>
      cache.fetch({ key: 'not-an-array' as unknown as unknown[], fetcher }),
    ).rejects.toThrow(TypeError)
    await vi.advanceTimersByTimeAsync(0)
    expect(fetcher).not.toHaveBeenCalled()
    expect(cache.stats()).toMatchObject({ entries: 0, fetches: 0, inFlight: 0, queued: 0 })
    expect(events).toEqual([])
    // Still usable afterwards.
    await expect(cache.fetch({ key: ['a'], fetcher: async () => 'ok' })).resolves.toBe('ok')
  })

  it('set() throws the TypeError and adds no entry', () => {
    const { cache, events } = cacheWithEvents()
    expect(() => cache.set(['a', { f: () => 1 }], 'x')).toThrow(TypeError)
    expect(() => cache.set(['a', { f: () => 1 }], 'x')).toThrow(/key\[1\]\.f/)
    expect(cache.stats().entries).toBe(0)
    expect(events).toEqual([])
  })

  it('get() and invalidate() throw the TypeError for a bad key', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['a'], 1)
    expect(() => cache.get(['a', 1n])).toThrow(TypeError)
    await expect(async () => cache.invalidate({ key: ['a', new Map()] })).rejects.toThrow(TypeError)
    expect(cache.get(['a'])?.isStale).toBe(false) // the bad invalidation marked nothing
    expect(cache.get(['a'])?.data).toBe(1)
  })
})
