// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

/** A cache (fresh for a minute, no retries) with one query mounted on ['k'], set to `data` first if given. */
async function mounted(data?: string) {
  const cache = createCache({ now: () => Date.now(), staleTime: 60_000, retry: 0 })
  const { fetcher, call } = controlledFetcher<string>()
  if (data !== undefined) cache.set(['k'], data)
  const observer = observe(cache, { key: ['k'], fetcher })
  const detach = observer.subscribe(() => {})
  await flush()
  return { cache, fetcher, call, observer, detach }
}

// Fetchers that ignore `signal` are common (`() => fetch(url).then((r) => r.json())`):
// an aborted or replaced refetch is over for the cache (not fetching any more), even
// though its request has not answered yet.
describe('invalidate() resolves when the refetches it triggered are over for the cache', () => {
  it('when its refetch is aborted because the last observer left, without waiting for a fetcher that ignores the signal', async () => {
    const { cache, call, detach } = await mounted('old')

    const done = track(cache.invalidate({ key: ['k'] }))
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false)
    detach() // the component unmounts while its refetch runs
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true)
    expect(cache.get(['k'])).toMatchObject({ data: 'old', isFetching: false })
    expect(done).toEqual({ settled: true, value: 1 })
  })

  it("when a mode 'remove' invalidation replaced its refetch, once the replacing fetch settles", async () => {
    const { cache, call, observer, detach } = await mounted('old')

    const stale = track(cache.invalidate({ key: ['k'] }))
    await flush()
    const removed = track(cache.invalidate({ key: ['k'] }, { mode: 'remove' }))
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true) // its answer could only show removed data
    call(1).resolve('new')
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ data: 'new', isFetching: false, isStale: false })
    expect(removed).toEqual({ settled: true, value: 1 })
    expect(stale).toEqual({ settled: true, value: 1 })
    detach()
  })

  // Model-test finding (MODEL_SEED=99 and 10): the refetch a remove replaces is not
  // aborted when a fetch() caller awaits it. It still runs, but its answer can only be
  // dropped (it may hold the removed data): the fetch that replaced it is the refetch.
  it("when a mode 'remove' invalidation replaced its refetch that a fetch() caller holds, once the replacing fetch lands", async () => {
    const { cache, fetcher, call, observer, detach } = await mounted('old')

    const stale = track(cache.invalidate({ key: ['k'] }))
    await flush()
    const caller = track(cache.fetch({ key: ['k'], fetcher })) // joins the refetch
    const removed = track(cache.invalidate({ key: ['k'] }, { mode: 'remove' }))
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false) // a caller awaits it: not aborted
    expect(stale).toEqual({ settled: false }) // the fetch that replaced it runs
    call(1).resolve('new')
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ data: 'new', isFetching: false, isStale: false })
    expect(stale).toEqual({ settled: true, value: 1 })
    expect(removed).toEqual({ settled: true, value: 1 })

    call(0).resolve('old') // the replaced refetch answers late: dropped
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ data: 'new', isFetching: false, isStale: false })
    expect(caller).toEqual({ settled: true, value: 'new' }) // a fetch made after the remove
    detach()
  })

  it("when a mode 'remove' invalidation replaced its refetch that a fetch() caller holds, once the replacing fetch fails", async () => {
    const { cache, fetcher, call, observer, detach } = await mounted('old')

    const stale = track(cache.invalidate({ key: ['k'] }))
    await flush()
    const caller = track(cache.fetch({ key: ['k'], fetcher }))
    const removed = track(cache.invalidate({ key: ['k'] }, { mode: 'remove' }))
    await flush()
    expect(stale).toEqual({ settled: false })
    const down = new Error('down')
    call(1).reject(down)
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ data: undefined, error: down, status: 'error', isFetching: false })
    expect(stale).toEqual({ settled: true, value: 1 })
    expect(removed).toEqual({ settled: true, value: 1 })

    call(0).resolve('old') // the replaced refetch answers late: the removed data never comes back
    await flush()
    expect(observer.getSnapshot()).toMatchObject({ data: undefined, error: down, status: 'error', isFetching: false })
    expect(caller).toEqual({ settled: true, error: down })
    detach()
  })

  it('when clear() drops the entry under its refetch (a logout)', async () => {
    const { cache, call, observer, detach } = await mounted('old')

    const done = track(cache.invalidate({ key: ['k'] }))
    await flush()
    cache.clear()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true)
    expect(done).toEqual({ settled: true, value: 1 })
    expect(observer.getSnapshot()).toMatchObject({ status: 'pending', isFetching: true }) // its new entry's own fetch
    detach()
  })

  it('when the follow-up of a fetch that was running is aborted because the last observer left', async () => {
    const { cache, call, detach } = await mounted() // the mount's fetch runs
    const done = track(cache.invalidate({ key: ['k'] }))
    call(0).resolve('v1') // started before the invalidation: one more fetch follows
    await flush()
    expect(call(1).ctx.signal.aborted).toBe(false)
    detach()
    await flush()
    expect(call(1).ctx.signal.aborted).toBe(true)
    expect(cache.get(['k'])).toMatchObject({ data: 'v1', isFetching: false })
    expect(done).toEqual({ settled: true, value: 1 })
  })

  it('once its own refetch lands, not after the follow-up owed to an invalidation that came during it (a server echo of the same change)', async () => {
    const { cache, call, detach } = await mounted('old')
    const first = track(cache.invalidate({ key: ['k'] }))
    await flush()
    const echo = track(cache.invalidate({ key: ['k'] }))
    await flush()
    call(0).resolve('v1')
    await flush()
    expect(cache.get(['k'])).toMatchObject({ data: 'v1', isFetching: true }) // the echo's follow-up
    expect(first).toEqual({ settled: true, value: 1 })
    expect(echo).toEqual({ settled: false })
    call(1).resolve('v2')
    await flush()
    expect(echo).toEqual({ settled: true, value: 1 })
    detach()
  })
})
