// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('stats() and an observer that subscribes again', () => {
  it('counts a mount again after a real unmount (a hidden subtree shown again)', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['k'], 'v')
    const observer = observe(cache, { key: ['k'], fetcher: async () => 'fetched' })
    let stop = observer.subscribe(() => {})
    await flush()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 })
    stop() // <Activity mode="hidden">: its effects are cleaned up, its state kept
    await flush()
    stop = observer.subscribe(() => {}) // shown again: the same observer mounts again
    await flush()
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 0, fetches: 0 })
    stop()
  })

  it("counts StrictMode's subscribe, unsubscribe, subscribe in one tick once", async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['k'], 'v')
    const observer = observe(cache, { key: ['k'], fetcher: async () => 'fetched' })
    observer.subscribe(() => {})()
    const stop = observer.subscribe(() => {})
    await flush()
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 0 })
    stop()
  })
})
