// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheEvent, FetchContext } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

const FRESH = 60_000

/** Answers `<key>@<modelVersion>` so a test can see which version produced the data. */
const stampFetcher = async (ctx: FetchContext) => `${String(ctx.key[0])}@${ctx.modelVersion ?? 'none'}`

describe('model versions (semantic 5)', () => {
  it("gives the fetcher the model's current version and stamps the entry with it", async () => {
    const cache = createCache({ now: () => Date.now(), models: { recommender: 'r1' } })
    await expect(cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })).resolves.toBe(
      'recs@r1',
    )
    expect(cache.get(['recs'])).toMatchObject({ model: 'recommender', modelVersion: 'r1' })
  })

  it('gives a query that names no model modelVersion undefined and no model', async () => {
    const cache = createCache({ now: () => Date.now(), models: { recommender: 'r1' } })
    await expect(cache.fetch({ key: ['plain'], fetcher: stampFetcher })).resolves.toBe('plain@none')
    expect(cache.get(['plain'])).toMatchObject({ model: undefined, modelVersion: undefined })
  })

  it('gives a query whose model has no version yet modelVersion undefined, until setModelVersion', async () => {
    const cache = createCache({ now: () => Date.now() })
    await expect(cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })).resolves.toBe(
      'recs@none',
    )
    expect(cache.get(['recs'])).toMatchObject({ model: 'recommender', modelVersion: undefined })
    cache.setModelVersion('recommender', 'r1')
    await expect(cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })).resolves.toBe(
      'recs@r1',
    )
    expect(cache.get(['recs'])?.modelVersion).toBe('r1')
  })

  it("set(key, data, { model }) stamps the model's current version; without model it names none", () => {
    const cache = createCache({ now: () => Date.now(), models: { recommender: 'r3' } })
    cache.set(['a'], 'x', { model: 'recommender' })
    cache.set(['b'], 'y')
    expect(cache.get(['a'])).toMatchObject({ model: 'recommender', modelVersion: 'r3' })
    expect(cache.get(['b'])).toMatchObject({ model: undefined, modelVersion: undefined })
    cache.setModelVersion('recommender', 'r4')
    cache.set(['a'], 'x2', { model: 'recommender' })
    expect(cache.get(['a'])?.modelVersion).toBe('r4')
  })

  describe("policy 'immediate'", () => {
    /** Entries of two versions of `recommender`, of another model, and of no model; all fresh. */
    function mixed() {
      const cache = createCache({
        now: () => Date.now(),
        staleTime: FRESH,
        models: { recommender: 'r1', ranker: 'k1' },
      })
      cache.set(['old', 1], 'a', { model: 'recommender' })
      cache.set(['old', 2], 'b', { model: 'recommender', segment: 'arm:b' })
      cache.setModelVersion('recommender', 'r2', { policy: 'lazy' })
      cache.set(['current'], 'c', { model: 'recommender' })
      cache.set(['other-model'], 'd', { model: 'ranker' })
      cache.set(['no-model'], 'e')
      return cache
    }

    it('invalidates every entry of the model whose version differs, and nothing else', () => {
      const cache = mixed()
      expect(cache.get(['old', 1])?.modelVersion).toBe('r1') // lazy left it alone
      expect(cache.get(['old', 1])?.isStale).toBe(false)
      cache.setModelVersion('recommender', 'r2', { policy: 'immediate' })
      expect(cache.get(['old', 1])?.isStale).toBe(true)
      expect(cache.get(['old', 2], 'arm:b')?.isStale).toBe(true)
      expect(cache.get(['current'])?.isStale).toBe(false) // already r2
      expect(cache.get(['other-model'])?.isStale).toBe(false)
      expect(cache.get(['no-model'])?.isStale).toBe(false)
    })

    it('invalidates entries of the old version when moving to a new one', () => {
      const cache = mixed()
      cache.setModelVersion('recommender', 'r3', { policy: 'immediate' })
      expect(cache.get(['old', 1])?.isStale).toBe(true)
      expect(cache.get(['current'])?.isStale).toBe(true)
      expect(cache.get(['other-model'])?.isStale).toBe(false)
      expect(cache.get(['no-model'])?.isStale).toBe(false)
    })

    it('refetches active entries of the old version, stamped with the new one', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { recommender: 'r1' } })
      const { fetcher, calls, call } = controlledFetcher<string>()
      const observer = observe(cache, { key: ['recs'], model: 'recommender', fetcher })
      const detach = observer.subscribe(() => {})
      await flush()
      call(0).resolve('from-r1')
      await flush()
      expect(observer.getSnapshot()?.modelVersion).toBe('r1')

      cache.setModelVersion('recommender', 'r2', { policy: 'immediate' })
      await flush()
      expect(calls).toHaveLength(2)
      expect(call(1).ctx.modelVersion).toBe('r2')
      expect(observer.getSnapshot()?.data).toBe('from-r1') // stale while revalidating
      call(1).resolve('from-r2')
      await flush()
      expect(observer.getSnapshot()).toMatchObject({ data: 'from-r2', modelVersion: 'r2', isStale: false })
      detach()
    })

    it('does not refetch active entries of other models or of no model', async () => {
      const cache = createCache({
        now: () => Date.now(),
        staleTime: FRESH,
        models: { recommender: 'r1', ranker: 'k1' },
      })
      const other = vi.fn(async () => 'ranked')
      const plain = vi.fn(async () => 'plain')
      const detachOther = observe(cache, { key: ['o'], model: 'ranker', fetcher: other }).subscribe(() => {})
      const detachPlain = observe(cache, { key: ['p'], fetcher: plain }).subscribe(() => {})
      await flush()
      expect(other).toHaveBeenCalledTimes(1)
      expect(plain).toHaveBeenCalledTimes(1)
      cache.setModelVersion('recommender', 'r2', { policy: 'immediate' })
      await flush()
      expect(other).toHaveBeenCalledTimes(1)
      expect(plain).toHaveBeenCalledTimes(1)
      detachOther()
      detachPlain()
    })
  })

  describe('fetches running when the version changes', () => {
    it("an immediate switch (a rollback) does not let a fetch started under the old version land fresh", async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { rec: 'r1' } })
      const { fetcher, call } = controlledFetcher<string>()
      const first = cache.fetch({ key: ['recs'], model: 'rec', fetcher })
      await flush()
      call(0).resolve('good@r1')
      await first
      cache.setModelVersion('rec', 'r2') // lazy
      void cache.invalidate({ key: ['recs'] })
      const second = cache.fetch({ key: ['recs'], model: 'rec', fetcher })
      await flush()
      expect(call(1).ctx.modelVersion).toBe('r2')
      cache.setModelVersion('rec', 'r1', { policy: 'immediate' }) // r2 was bad: roll back
      call(1).resolve('bad@r2')
      await second
      expect(cache.get(['recs'])).toMatchObject({ modelVersion: 'r2', isStale: true })
    })

    it('an observed entry is refetched with the rolled-back version', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { rec: 'r1' } })
      cache.set(['recs'], 'good@r1', { model: 'rec' })
      cache.setModelVersion('rec', 'r2')
      const { fetcher, call } = controlledFetcher<string>()
      const observer = observe<string>(cache, { key: ['recs'], model: 'rec', fetcher })
      const off = observer.subscribe(() => {})
      void cache.invalidate({ key: ['recs'] })
      await flush()
      cache.setModelVersion('rec', 'r1', { policy: 'immediate' })
      call(0).resolve(`x@${call(0).ctx.modelVersion}`)
      await flush()
      expect(call(1).ctx.modelVersion).toBe('r1')
      call(1).resolve(`x@${call(1).ctx.modelVersion}`)
      await flush()
      expect(observer.getSnapshot()?.data).toBe('x@r1')
      off()
    })

    it('invalidate({ model, modelVersion: bad }) also hits a fetch of the bad version still running', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { rec: 'r2' } })
      const { fetcher, call } = controlledFetcher<string>()
      const pending = cache.fetch({ key: ['recs'], model: 'rec', fetcher })
      await flush()
      await expect(cache.invalidate({ model: 'rec', modelVersion: 'r2' })).resolves.toBe(1)
      call(0).resolve('bad@r2')
      await pending
      expect(cache.get(['recs'])?.isStale).toBe(true)
    })
  })

  it('an entry only ever set, set again without a model, names none: model switches and targets leave it alone', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { rec: 'r1' } })
    cache.set(['a'], 'x', { model: 'rec' })
    cache.set(['a'], 'plain')
    expect(cache.get(['a'])).toMatchObject({ model: undefined, modelVersion: undefined })
    cache.setModelVersion('rec', 'r2', { policy: 'immediate' })
    expect(cache.get(['a'])?.isStale).toBe(false)
    await expect(cache.invalidate({ model: 'rec' })).resolves.toBe(0)
  })

  describe("policy 'lazy' (the default)", () => {
    it('leaves entries of the old version fresh until their staleTime; the refetch is stamped with the new version', async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: 1000, models: { recommender: 'r1' } })
      await cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })
      await vi.advanceTimersByTimeAsync(400)
      cache.setModelVersion('recommender', 'r2') // default policy
      expect(cache.get(['recs'])).toMatchObject({ data: 'recs@r1', modelVersion: 'r1', isStale: false })
      // Still fresh: answered from the cache, old version and all.
      await expect(cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })).resolves.toBe(
        'recs@r1',
      )
      await vi.advanceTimersByTimeAsync(600)
      expect(cache.get(['recs'])?.isStale).toBe(true)
      await expect(cache.fetch({ key: ['recs'], model: 'recommender', fetcher: stampFetcher })).resolves.toBe(
        'recs@r2',
      )
      expect(cache.get(['recs'])).toMatchObject({ modelVersion: 'r2', isStale: false })
    })

    it("does not refetch active entries when the version changes with policy 'lazy'", async () => {
      const cache = createCache({ now: () => Date.now(), staleTime: FRESH, models: { recommender: 'r1' } })
      const fetcher = vi.fn(stampFetcher)
      const detach = observe(cache, { key: ['recs'], model: 'recommender', fetcher }).subscribe(() => {})
      await flush()
      expect(fetcher).toHaveBeenCalledTimes(1)
      cache.setModelVersion('recommender', 'r2', { policy: 'lazy' })
      await flush()
      await vi.advanceTimersByTimeAsync(1000)
      expect(fetcher).toHaveBeenCalledTimes(1)
      expect(cache.get(['recs'])?.modelVersion).toBe('r1')
      detach()
    })
  })

  it('drops the answers of a bad version with invalidate({ model, modelVersion })', async () => {
    const cache = createCache({
      now: () => Date.now(),
      staleTime: FRESH,
      models: { recommender: 'r1', ranker: 'r2' },
    })
    cache.set(['good'], 'g', { model: 'recommender' })
    cache.setModelVersion('recommender', 'r2')
    cache.set(['bad', 1], 'b1', { model: 'recommender' })
    cache.set(['bad', 2], 'b2', { model: 'recommender' })
    cache.set(['other-model-same-version'], 'o', { model: 'ranker' })
    const count = cache.invalidate({ model: 'recommender', modelVersion: 'r2' }, { mode: 'remove' })
    expect(cache.get(['bad', 1])?.data).toBeUndefined()
    expect(cache.get(['bad', 2])?.data).toBeUndefined()
    expect(cache.get(['good'])?.data).toBe('g')
    expect(cache.get(['other-model-same-version'])?.data).toBe('o')
    await expect(count).resolves.toBe(2)
  })

  it('emits a model-version event', () => {
    const cache = createCache({ now: () => Date.now() })
    const events: CacheEvent[] = []
    cache.subscribe((event) => events.push(event))
    cache.setModelVersion('recommender', 'r9', { policy: 'immediate' })
    cache.setModelVersion('ranker', 'k2')
    expect(events.filter((event) => event.type === 'model-version')).toEqual([
      { type: 'model-version', model: 'recommender', version: 'r9', policy: 'immediate' },
      { type: 'model-version', model: 'ranker', version: 'k2', policy: 'lazy' },
    ])
  })
})
