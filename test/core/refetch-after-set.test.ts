// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

/** A query mounted on ['k'] whose first fetch is running. */
async function mounted(options: { staleTime?: number } = {}) {
  const cache = createCache({ now: () => Date.now(), ...options })
  const { fetcher, calls, call } = controlledFetcher<string>()
  const observer = observe(cache, { key: ['k'], fetcher })
  const stop = observer.subscribe(() => {})
  await flush()
  return { cache, calls, call, observer, stop }
}

describe('a fetch whose answer a set() will drop does not answer a later request', () => {
  it('refetch() after the set asks the server again once that fetch settles', async () => {
    const { cache, calls, call, observer, stop } = await mounted()
    cache.set(['k'], 'written')
    // The user's explicit refresh: its answer must come from a fetch started after the set.
    const refreshed = track(observer.refetch())
    await flush()
    expect(calls).toHaveLength(1) // never two runs of one key at once
    call(0).resolve('before-set')
    await flush()
    expect(refreshed.settled).toBe(false)
    expect(cache.get(['k'])?.data).toBe('written')
    expect(calls).toHaveLength(2)
    call(1).resolve('after-set')
    await flush()
    expect(refreshed).toEqual({ settled: true, value: 'after-set' })
    expect(cache.get(['k'])).toMatchObject({ data: 'after-set', isFetching: false })
    stop()
  })

  it('refetch() asks again even when the set data is fresh', async () => {
    const { cache, calls, call, observer, stop } = await mounted({ staleTime: 60_000 })
    cache.set(['k'], 'written')
    const refreshed = track(observer.refetch())
    call(0).resolve('before-set')
    await flush()
    expect(calls).toHaveLength(2)
    call(1).resolve('after-set')
    await flush()
    expect(refreshed).toEqual({ settled: true, value: 'after-set' })
    stop()
  })

  it('fetch() of stale set data gets a fetch made after the set, one for every such caller', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const early = track(cache.fetch({ key: ['k'], fetcher }))
    await flush()
    cache.set(['k'], 'written') // stale at once (staleTime 0)
    const first = track(cache.fetch({ key: ['k'], fetcher }))
    const second = track(cache.fetch({ key: ['k'], fetcher }))
    call(0).resolve('before-set')
    await flush()
    // A caller from before the set gets the set's data, as before.
    expect(early).toEqual({ settled: true, value: 'written' })
    expect(first.settled).toBe(false)
    const third = track(cache.fetch({ key: ['k'], fetcher }))
    await flush()
    expect(calls).toHaveLength(2)
    call(1).resolve('after-set')
    await flush()
    expect(calls).toHaveLength(2)
    for (const late of [first, second, third]) expect(late).toEqual({ settled: true, value: 'after-set' })
  })

  it('fresh set data still answers fetch() from the cache', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['k'], fetcher })
    await flush()
    cache.set(['k'], 'written')
    await expect(cache.fetch({ key: ['k'], fetcher })).resolves.toBe('written')
    call(0).resolve('before-set')
    await flush()
    expect(calls).toHaveLength(1)
    expect(cache.get(['k'])?.data).toBe('written')
  })
})
