// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('dedup (semantic 1)', () => {
  it('runs the fetcher once for two concurrent fetches of the same key', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const a = cache.fetch({ key: ['user', 1], fetcher })
    const b = cache.fetch({ key: ['user', 1], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('ann')
    await expect(a).resolves.toBe('ann')
    await expect(b).resolves.toBe('ann')
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('runs one fetcher for 100 concurrent fetch calls', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<number>()
    const all = Array.from({ length: 100 }, () => cache.fetch({ key: ['many'], fetcher }))
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve(42)
    expect(await Promise.all(all)).toEqual(Array.from({ length: 100 }, () => 42))
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect(cache.stats().fetches).toBe(1)
    expect(cache.stats().deduped).toBe(99)
  })

  it('treats keys whose objects list fields in another order as the same request', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const a = cache.fetch({ key: ['a', { x: 1, y: 2 }], fetcher })
    const b = cache.fetch({ key: ['a', { y: 2, x: 1 }], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('same')
    await expect(Promise.all([a, b])).resolves.toEqual(['same', 'same'])
  })

  it('runs one fetcher per segment: the same key in two segments is two entries', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const a = cache.fetch({ key: ['recs'], segment: 'arm:a', fetcher })
    const b = cache.fetch({ key: ['recs'], segment: 'arm:b', fetcher })
    const plain = cache.fetch({ key: ['recs'], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(3)
    expect(fetcher.mock.calls.map(([ctx]) => ctx.segment)).toEqual(['arm:a', 'arm:b', undefined])
    call(0).resolve('A')
    call(1).resolve('B')
    call(2).resolve('none')
    await expect(Promise.all([a, b, plain])).resolves.toEqual(['A', 'B', 'none'])
    expect(cache.get(['recs'], 'arm:a')?.data).toBe('A')
    expect(cache.get(['recs'], 'arm:b')?.data).toBe('B')
    expect(cache.get(['recs'])?.data).toBe('none')
  })

  it('lets observers and cache.fetch join the same fetch', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const first = observe(cache, { key: ['shared'], fetcher })
    const second = observe(cache, { key: ['shared'], fetcher })
    const detachFirst = first.subscribe(() => {})
    const detachSecond = second.subscribe(() => {})
    const viaFetch = cache.fetch({ key: ['shared'], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('one')
    await expect(viaFetch).resolves.toBe('one')
    await flush()
    expect(first.getSnapshot()?.data).toBe('one')
    expect(second.getSnapshot()?.data).toBe('one')
    detachFirst()
    detachSecond()
  })

  it('observer.refetch() joins a fetch in flight', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = controlledFetcher<string>()
    const observer = observe(cache, { key: ['k'], fetcher })
    const detach = observer.subscribe(() => {})
    await flush()
    const refetched = observer.refetch()
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    call(0).resolve('v')
    await expect(refetched).resolves.toBe('v')
    detach()
  })

  it('does not dedup sequential fetches of stale data: the next use fetches again', async () => {
    const cache = createCache({ now: () => Date.now() }) // staleTime 0: stale at once
    const { fetcher, call } = controlledFetcher<number>()
    const first = cache.fetch({ key: ['n'], fetcher })
    await flush()
    call(0).resolve(1)
    await expect(first).resolves.toBe(1)
    const second = cache.fetch({ key: ['n'], fetcher })
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2)
    call(1).resolve(2)
    await expect(second).resolves.toBe(2)
  })
})
