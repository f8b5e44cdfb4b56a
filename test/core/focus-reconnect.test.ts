import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { CacheOptions } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush, onlineAfterEachTest } from '../helpers/core'

// jsdom: the window's focus / visibility / online events.

fakeTimersEachTest()
onlineAfterEachTest()

/** The user comes back to the tab: browsers fire both of these (visibilitychange bubbles to the window). */
function focusWindow() {
  document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
  window.dispatchEvent(new Event('focus'))
}

function goOnline() {
  window.dispatchEvent(new Event('online'))
}

/** One observed entry holding stale data (staleTime 1000, 2 s old). */
async function observedStale(options: CacheOptions = {}, observerOptions: Record<string, unknown> = {}) {
  const cache = createCache({ now: () => Date.now(), staleTime: 1000, ...options })
  cache.set(['k'], 'old') // fresh at mount: no fetch yet
  const { fetcher, calls, call } = controlledFetcher<string>()
  const observer = observe(cache, { key: ['k'], fetcher, staleTime: 1000, ...observerOptions })
  const detach = observer.subscribe(() => {})
  await flush()
  await vi.advanceTimersByTimeAsync(2000)
  return { cache, observer, detach, fetcher, calls, call }
}

describe('refetch on focus and reconnect', () => {
  it('refetches a stale observed entry once when the window regains focus', async () => {
    const { calls, call, observer, detach } = await observedStale()
    expect(calls).toHaveLength(0)
    focusWindow()
    await flush()
    expect(calls).toHaveLength(1)
    call(0).resolve('refetched')
    await flush()
    expect(observer.getSnapshot()?.data).toBe('refetched')
    detach()
  })

  it('refetches when the page is shown again, not on a window focus that no visibilitychange preceded (TanStack Query v5)', async () => {
    // Alt-tab from another app, or a click back from devtools or an iframe, fires only
    // `focus`: with staleTime 0 that refetched every mounted query, each time.
    const { calls, call, detach } = await observedStale()
    window.dispatchEvent(new Event('focus'))
    await flush()
    expect(calls).toHaveLength(0)
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
    await flush()
    expect(calls).toHaveLength(1)
    call(0).resolve('refetched')
    await flush()
    detach()
  })

  it('skips refetchInterval ticks and focus refetches while offline, and refetches stale data on reconnect (TanStack Query, SWR)', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    const fetcher = vi.fn(async () => 'x')
    const detach = observe(cache, { key: ['k'], fetcher, refetchInterval: 1000 }).subscribe(() => {})
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    window.dispatchEvent(new Event('offline'))
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
    // Shown again while offline: the fetch would fail; the reconnect refetches.
    focusWindow()
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    goOnline()
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetcher).toHaveBeenCalledTimes(3)
    detach()
  })

  it('goes by the offline and online events, not navigator.onLine (false on some online Chromium machines)', async () => {
    const spy = vi.spyOn(navigator, 'onLine', 'get').mockImplementation(() => false)
    try {
      const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
      const fetcher = vi.fn(async () => 'x')
      const detach = observe(cache, { key: ['k'], fetcher, refetchInterval: 1000 }).subscribe(() => {})
      await vi.advanceTimersByTimeAsync(3000)
      expect(fetcher).toHaveBeenCalledTimes(4)
      detach()
    } finally {
      spy.mockRestore()
    }
  })

  it('holds a retry while offline or hidden, and makes it within 1 s of coming back (TanStack Query)', async () => {
    let online = true
    let visibility: DocumentVisibilityState = 'visible'
    const shown = vi.spyOn(document, 'visibilityState', 'get').mockImplementation(() => visibility)
    try {
      const onError = vi.fn()
      const cache = createCache({ now: () => Date.now(), onError })
      const startedAt: number[] = []
      const t0 = Date.now()
      const fetcher = vi.fn(async () => {
        startedAt.push(Date.now() - t0)
        if (!online) throw new TypeError('Failed to fetch')
        return 'x'
      })
      const observer = observe(cache, { key: ['k'], fetcher })
      online = false
      const detach = observer.subscribe(() => {}) // the fetch starts as the network goes
      window.dispatchEvent(new Event('offline'))
      await vi.advanceTimersByTimeAsync(60_000)
      // One failed call, then the retry waits: no error, still fetching.
      expect(startedAt).toEqual([0])
      expect(observer.getSnapshot()).toMatchObject({ status: 'pending', error: undefined, isFetching: true })
      expect(onError).not.toHaveBeenCalled()
      online = true
      visibility = 'hidden' // back online in a background tab: still held
      goOnline()
      await vi.advanceTimersByTimeAsync(60_000)
      expect(startedAt).toHaveLength(1)
      visibility = 'visible'
      await vi.advanceTimersByTimeAsync(1000)
      expect(startedAt).toHaveLength(2)
      expect(observer.getSnapshot()).toMatchObject({ status: 'success', data: 'x', isFetching: false })
      expect(onError).not.toHaveBeenCalled()
      detach()
    } finally {
      shown.mockRestore()
    }
  })

  it('does not refetch fresh data on focus', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    cache.set(['k'], 'fresh')
    const fetcher = vi.fn(async () => 'x')
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    focusWindow()
    await flush()
    expect(fetcher).not.toHaveBeenCalled()
    detach()
  })

  it('does not refetch entries without observers on focus', async () => {
    const cache = createCache({ now: () => Date.now() })
    const fetcher = vi.fn(async () => 'x')
    await cache.fetch({ key: ['k'], fetcher })
    focusWindow()
    goOnline()
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('does not refetch on focus with refetchOnFocus: false on the cache', async () => {
    const { calls, detach } = await observedStale({ refetchOnFocus: false })
    focusWindow()
    await flush()
    expect(calls).toHaveLength(0)
    detach()
  })

  it('lets an observer override the cache refetchOnFocus', async () => {
    const { calls, detach } = await observedStale({ refetchOnFocus: true }, { refetchOnFocus: false })
    focusWindow()
    await flush()
    expect(calls).toHaveLength(0)
    detach()
  })

  it('refetches a stale observed entry when the browser comes back online', async () => {
    const { calls, detach } = await observedStale()
    goOnline()
    await flush()
    expect(calls).toHaveLength(1)
    detach()
  })

  it('does not refetch on reconnect with refetchOnReconnect: false', async () => {
    const { calls, detach } = await observedStale({ refetchOnReconnect: false })
    goOnline()
    await flush()
    expect(calls).toHaveLength(0)
    detach()
  })

  it('stops listening once the last observer leaves', async () => {
    const { calls, detach } = await observedStale()
    detach()
    focusWindow()
    goOnline()
    await flush()
    expect(calls).toHaveLength(0)
  })
})
