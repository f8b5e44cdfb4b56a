// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheOptions, QueryOptions } from '../../src/core/types'
import { fakeTimersEachTest } from '../helpers/core'

fakeTimersEachTest()

describe('bad cache options', () => {
  it.each([
    ['staleTime', { staleTime: -1 }],
    ['staleTime', { staleTime: Number.NaN }],
    ['staleTime', { staleTime: '1000' }],
    ['gcTime', { gcTime: -1 }],
    ['retry', { retry: -1 }],
    ['retry', { retry: 1.5 }],
    ['maxConcurrentFetches', { maxConcurrentFetches: 0 }],
    ['maxConcurrentFetches', { maxConcurrentFetches: -3 }],
    ['maxConcurrentFetches', { maxConcurrentFetches: 0.5 }],
    ['now', { now: 123 }],
    ['onError', { onError: 'log' }],
  ])('throws an error naming %s for %o', (name, options) => {
    expect(() => createCache(options as unknown as CacheOptions)).toThrow(name)
  })

  it('accepts Infinity for staleTime, gcTime and maxConcurrentFetches, and 0 for staleTime, gcTime and retry', () => {
    expect(() => createCache({ staleTime: Infinity, gcTime: Infinity, maxConcurrentFetches: Infinity })).not.toThrow()
    expect(() => createCache({ staleTime: 0, gcTime: 0, retry: 0, maxConcurrentFetches: 1 })).not.toThrow()
  })
})

describe('bad query options leave the cache consistent', () => {
  const valid = { key: ['k'], fetcher: async () => 'v' }

  it.each([
    ['fetcher', { key: ['k'] }],
    ['fetcher', { key: ['k'], fetcher: 'https://example.test' }],
    ['staleTime', { ...valid, staleTime: -5 }],
    ['gcTime', { ...valid, gcTime: -5 }],
    ['retry', { ...valid, retry: -1 }],
  ])('fetch() rejects with an error naming %s for %o, and changes nothing', async (name, options) => {
    const cache = createCache({ now: () => Date.now() })
    await expect(async () => cache.fetch(options as unknown as QueryOptions<string>)).rejects.toThrow(name)
    await vi.advanceTimersByTimeAsync(0)
    expect(cache.stats()).toMatchObject({ entries: 0, fetches: 0, inFlight: 0, queued: 0 })
    expect(cache.get(['k'])).toBeUndefined()
    await expect(cache.fetch(valid)).resolves.toBe('v')
  })

  it('fetch() rejects with a TypeError when fetcher is not a function', async () => {
    const cache = createCache({ now: () => Date.now() })
    await expect(async () =>
      cache.fetch({ key: ['k'], fetcher: 42 } as unknown as QueryOptions<string>),
    ).rejects.toThrow(TypeError)
  })

  it('a fetch with a bad option does not disturb a fetch of the same key in flight', async () => {
    const cache = createCache({ now: () => Date.now() })
    let answer!: (value: string) => void
    const good = cache.fetch({ key: ['k'], fetcher: () => new Promise<string>((resolve) => (answer = resolve)) })
    await vi.advanceTimersByTimeAsync(0)
    await expect(async () => cache.fetch({ key: ['k'], fetcher: async () => 'x', staleTime: -1 })).rejects.toThrow(
      'staleTime',
    )
    answer('fine')
    await expect(good).resolves.toBe('fine')
    expect(cache.get(['k'])).toMatchObject({ status: 'success', data: 'fine' })
  })
})

describe('defaults', () => {
  it('staleTime defaults to 0: data is stale at once', async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'v')
    expect(cache.get(['k'])?.isStale).toBe(true)
  })

  it('reads the clock through the injected now', async () => {
    let clock = 1_000_000
    const cache = createCache({ now: () => clock, staleTime: 100 })
    cache.set(['k'], 'v')
    expect(cache.get(['k'])?.updatedAt).toBe(1_000_000)
    clock += 99
    expect(cache.get(['k'])?.isStale).toBe(false)
    clock += 1
    expect(cache.get(['k'])?.isStale).toBe(true)
  })
})

describe('bad arguments to set, invalidate and setModelVersion change nothing', () => {
  function seeded() {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['k'], 'v', { tags: ['t'] })
    return cache
  }

  it.each([
    ['tags', { tags: 'product:1' }],
    ['tags', { tags: ['ok', 7] }],
    ['segment', { segment: 42 }],
    ['etag', { etag: 1 }],
    ['model', { model: {} }],
  ])('set() throws a TypeError naming %s for %o and adds no entry', (name, options) => {
    const cache = seeded()
    expect(() => cache.set(['new'], 'x', options as never)).toThrow(TypeError)
    expect(() => cache.set(['new'], 'x', options as never)).toThrow(name)
    expect(cache.get(['new'])).toBeUndefined()
    expect(cache.stats().entries).toBe(1)
  })

  it('set() with an updater that throws adds no entry and leaves an existing one as it was', () => {
    const cache = seeded()
    const before = cache.get(['k'])
    const boom = () => {
      throw new Error('updater failed')
    }
    expect(() => cache.set(['new'], boom)).toThrow('updater failed')
    expect(cache.get(['new'])).toBeUndefined()
    expect(cache.stats().entries).toBe(1)
    expect(() => cache.set(['k'], boom)).toThrow('updater failed')
    expect(cache.get(['k'])).toEqual(before)
  })

  it.each([
    ['tags', { tags: 'product:1' }],
    ['segment', { segment: 1 }],
    ['predicate', { predicate: true }],
  ])('invalidate() throws a TypeError naming %s for %o and marks nothing', async (name, target) => {
    const cache = seeded()
    await expect(async () => cache.invalidate(target as never)).rejects.toThrow(name)
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it.each([
    ['an array', ['k'], /target must be an object, got Array/],
    ['a misspelt field', { tag: ['t'] }, /target\.tag is not a target field/],
    ["TanStack's queryKey", { queryKey: ['k'] }, /target\.queryKey is not a target field/],
    ['a non-boolean exact', { key: ['k'], exact: 'no' }, /target\.exact must be a boolean/],
  ])('invalidate() throws for a target that is %s and marks nothing', (_, target, message) => {
    const cache = seeded()
    expect(() => cache.invalidate(target as never)).toThrow(message)
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it('set(), invalidate() and setModelVersion() throw, naming the method, for options that are not an object', () => {
    const cache = seeded()
    expect(() => cache.set(['new'], 1, 'arm:b' as never)).toThrow(/^set: options must be an object, got string arm:b/)
    expect(() => cache.set(['new'], 1, null as never)).toThrow(/^set: options must be an object, got null/)
    expect(cache.get(['new'])).toBeUndefined()
    expect(() => cache.invalidate({}, null as never)).toThrow(/^invalidate: options must be an object/)
    expect(cache.get(['k'])?.isStale).toBe(false)
    expect(() => cache.setModelVersion('m', 'v', null as never)).toThrow(/^setModelVersion: options must be an object/)
  })

  it('invalidate() throws for an unknown mode and marks nothing', async () => {
    const cache = seeded()
    await expect(async () => cache.invalidate({}, { mode: 'soon' as never })).rejects.toThrow(TypeError)
    expect(cache.get(['k'])?.isStale).toBe(false)
  })

  it('invalidate() with a predicate that throws lets the error out and marks nothing', async () => {
    const cache = seeded()
    cache.set(['j'], 'w')
    const predicate = () => {
      throw new Error('predicate failed')
    }
    await expect(async () => cache.invalidate({ predicate })).rejects.toThrow('predicate failed')
    expect(cache.get(['k'])?.isStale).toBe(false)
    expect(cache.get(['j'])?.isStale).toBe(false)
  })

  it('setModelVersion() throws a TypeError for a version that is not a string, or an unknown policy', () => {
    const cache = createCache({ now: () => Date.now(), models: { m: 'v1' } })
    cache.set(['k'], 'v', { model: 'm' })
    expect(() => cache.setModelVersion('m', 2 as never)).toThrow(TypeError)
    expect(() => cache.setModelVersion('m', 'v2', { policy: 'eventually' as never })).toThrow(TypeError)
    cache.set(['j'], 'w', { model: 'm' })
    expect(cache.get(['j'])?.modelVersion).toBe('v1')
  })

  it('a models option that is not a map of strings throws naming the model', () => {
    expect(() => createCache({ models: { recommender: 3 } as never })).toThrow('recommender')
  })

  // `models: null` (a config value not loaded) threw a bare "Cannot convert
  // undefined or null to object"; `models: 'r3'` was taken as models '0' and
  // '1', so no query's model ever had a version.
  it.each([
    ['null', null, /^createCache: models must be an object, got null/],
    ['a string', 'r3', /^createCache: models must be an object, got string r3/],
    ['an array', ['r3'], /^createCache: models must be an object, got Array/],
  ])('a models option that is %s throws a TypeError naming models', (_name, models, message) => {
    expect(() => createCache({ models: models as never })).toThrow(TypeError)
    expect(() => createCache({ models: models as never })).toThrow(message)
  })

  it('options that are an array throw a TypeError naming createCache', () => {
    expect(() => createCache([] as never)).toThrow(/^createCache: options must be an object, got Array/)
  })
})

// useCachedQuery hands every render's options to its observer. They were
// checked only when the key or segment changed: a later render of the same
// key with `staleTime: NaN` (a number parsed from a URL or a setting) got
// through, and then the data counted as fresh for ever (now - updatedAt >= NaN
// is never true) while the stale timer re-armed itself every millisecond.
describe('bad options on a later render of the same key', () => {
  it.each([
    ['staleTime', { staleTime: Number.NaN }],
    ['gcTime', { gcTime: -1 }],
    ['retry', { retry: 1.5 }],
    ['fetcher', { fetcher: 'https://example.test' }],
    ['tags', { tags: 'product:42' }],
  ])('throw an error naming %s, as on the first render, and change nothing', async (name, bad) => {
    const cache = createCache({ now: () => Date.now() })
    const fetcher = vi.fn(async () => 'v')
    const observer = observe(cache, { key: ['k'], fetcher, staleTime: 1000 })
    const detach = observer.subscribe(() => {})
    await vi.advanceTimersByTimeAsync(0)
    const tags = cache.get(['k'])!.tags
    expect(() => observer.setOptions({ key: ['k'], fetcher, staleTime: 1000, ...(bad as object) })).toThrow(name)
    observer.sync()
    await vi.advanceTimersByTimeAsync(1000)
    expect(cache.get(['k'])).toMatchObject({ data: 'v', isStale: true })
    expect(cache.get(['k'])!.tags).toEqual(tags)
    detach()
  })
})

