import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { fakeTimersEachTest, flush, onlineAfterEachTest } from '../helpers/core'

// jsdom: the window's online / offline events.

fakeTimersEachTest()
onlineAfterEachTest()

describe('offline stays offline while a query stays mounted', () => {
  it('when the only mounted query moves to another key (the next page), it still skips refetchInterval ticks until online', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = vi.fn(async () => 'x')
    const observer = observe(cache, { key: ['page', 1], fetcher, refetchInterval: 1000 })
    const detach = observer.subscribe(() => {})
    await flush()
    window.dispatchEvent(new Event('offline'))

    observer.setOptions({ key: ['page', 2], fetcher, refetchInterval: 1000 })
    observer.sync() // React commits the new key: its first fetch is not held (see docs/API.md)
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2) // no poll while offline

    window.dispatchEvent(new Event('online'))
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(3) // the reconnect refetch
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetcher).toHaveBeenCalledTimes(4) // and the ticks go on
    detach()
  })

  it('nor when clear() moves the only mounted query to a new entry', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = vi.fn(async () => 'x')
    const detach = observe(cache, { key: ['k'], fetcher, refetchInterval: 1000 }).subscribe(() => {})
    await flush()
    window.dispatchEvent(new Event('offline'))
    cache.clear()
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2) // the new entry's first fetch
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2)
    window.dispatchEvent(new Event('online'))
    await flush()
    detach()
  })

  it('nor when a route change unmounts every query before the next page mounts its own', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = vi.fn(async () => 'x')
    const leave = observe(cache, { key: ['page', 1], fetcher }).subscribe(() => {})
    await flush()
    window.dispatchEvent(new Event('offline'))
    leave() // the old page unmounts: for a moment no query is mounted
    const observer = observe(cache, { key: ['page', 2], fetcher, refetchInterval: 1000 })
    const detach = observer.subscribe(() => {})
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(2) // the new page's first fetch
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2) // no poll while offline
    window.dispatchEvent(new Event('online'))
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(3) // the reconnect refetch
    detach()
  })

  it('and one cache that unmounts its last query leaves another cache offline', async () => {
    const first = createCache({ now: () => Date.now(), retry: 0 })
    const second = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = vi.fn(async () => 'x')
    const leave = observe(first, { key: ['a'], fetcher }).subscribe(() => {})
    const detach = observe(second, { key: ['b'], fetcher, refetchInterval: 1000 }).subscribe(() => {})
    await flush()
    window.dispatchEvent(new Event('offline'))
    leave()
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2) // no poll while offline
    window.dispatchEvent(new Event('online'))
    await flush()
    detach()
  })
})
