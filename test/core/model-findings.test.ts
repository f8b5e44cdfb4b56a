// @vitest-environment node
// What test/core/model.property.test.ts found, as example tests: each failed
// before its fix in the core (shared/API.md and docs/API.md say what is right).
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

describe('a fetch() caller whose fetch a remove-mode invalidation superseded', () => {
  // mount: fetch A; fetch() joins A; remove: A is superseded, B refetches for the observer.
  async function superseded() {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    const result = track(cache.fetch({ key: ['k'], fetcher }))
    await flush()
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' })
    await flush()
    expect(calls).toHaveLength(2) // A and B
    return { cache, calls, call, result, detach }
  }

  it('is not resolved with undefined when the last observer leaves before A lands', async () => {
    const { calls, call, result, detach } = await superseded()
    detach() // B has no caller: aborted
    await flush()
    call(0).resolve('from-before-the-remove')
    await flush()
    // docs/API.md: "after a remove-mode invalidation it resolves with a fetch made after it".
    expect(result).toEqual({ settled: false })
    call(calls.length - 1).resolve('after') // B, or a fetch started for the caller after it
    await flush()
    await flush()
    expect(result).toEqual({ settled: true, value: 'after' })
  })

  it('is not resolved with undefined when the newer fetch failed', async () => {
    const { calls, call, result } = await superseded()
    const failure = new Error('B failed')
    call(1).reject(failure)
    await flush()
    call(0).resolve('from-before-the-remove')
    await flush()
    // Either B's error, or a fetch made after the remove; never undefined.
    if (result.settled) expect(result.error).toBe(failure)
    else expect(calls).toHaveLength(3)
  })

  it('is not aborted when the last observer leaves after A landed and handed it to B', async () => {
    const { calls, call, result, detach } = await superseded()
    call(0).resolve('from-before-the-remove')
    await flush()
    detach()
    await flush()
    // API.md Details: "A caller awaiting cache.fetch() counts as waiting: its fetch is not aborted."
    expect(calls[1]!.ctx.signal.aborted).toBe(false)
    expect(result).toEqual({ settled: false })
    call(1).resolve('after')
    await flush()
    expect(result).toEqual({ settled: true, value: 'after' })
  })

  it('keeps the entry (no gc) while its fetch is still in flight', async () => {
    const { cache, calls, call, result, detach } = await superseded()
    detach()
    await flush()
    await vi.advanceTimersByTimeAsync(300_000) // gcTime
    // Semantic 9 counts gcTime from when nobody waits; the caller still does.
    expect(cache.get(['k'])).toBeDefined()
    call(0).resolve('from-before-the-remove')
    await flush()
    expect(result.settled).toBe(false)
    call(calls.length - 1).resolve('after')
    await flush()
    expect(result).toEqual({ settled: true, value: 'after' })
  })
})

describe('invalidate() settles', () => {
  it('when a stale invalidation hits a fetch a remove-mode invalidation superseded', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, calls, call } = controlledFetcher<string>()
    void cache.fetch({ key: ['k'], fetcher }) // fetch A, awaited
    await flush()
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' }) // nobody observes: no refetch
    observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // joins A
    const settled = track(cache.invalidate({ key: ['k'] })) // owes one follow-up after A
    await flush()
    call(0).resolve('a')
    await flush()
    expect(calls).toHaveLength(2) // B: the fetch made after the remove
    call(1).resolve('b')
    await flush()
    expect(cache.get(['k'])?.data).toBe('b')
    // Semantic 3: "The promise resolves to the number matched once the triggered refetches settle."
    expect(settled).toEqual({ settled: true, value: 1 })
  })
})

describe('an injected clock that reads 0', () => {
  it('a set or a fetch at clock time 0 is a success', async () => {
    const cache = createCache({ now: () => 0, staleTime: 1000 })
    cache.set(['k'], 'v')
    expect(cache.get(['k'])).toMatchObject({ data: 'v', status: 'success', isStale: false })
    await cache.fetch({ key: ['f'], fetcher: async () => 'x' })
    expect(cache.get(['f'])).toMatchObject({ data: 'x', status: 'success', isStale: false })
    // Fresh: a second fetch() is a hit.
    await cache.fetch({ key: ['f'], fetcher: async () => 'y' })
    expect(cache.stats()).toMatchObject({ hits: 1, fetches: 1 })
  })
})

describe('a fetch() caller parked behind an invalidated fetch', () => {
  it('gets its answer cached even when gc ran while it waited', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 1000, retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // fetch A
    await flush()
    void cache.invalidate({ key: ['k'] }) // A can no longer satisfy a new request
    const result = track(cache.fetch({ key: ['k'], fetcher })) // parks until A settles, then asks again
    detach() // A is aborted; its fetcher ignores the signal and answers late
    await flush()
    await vi.advanceTimersByTimeAsync(1000) // gcTime: nobody observes the entry
    call(0).reject(new Error('late answer of the aborted fetch'))
    await flush()
    expect(calls).toHaveLength(2) // the caller's own fetch B
    call(1).resolve('b')
    await flush()
    expect(result).toEqual({ settled: true, value: 'b' })
    // B's answer is what the cache holds for ['k'] (it ran on an entry gc had removed).
    expect(cache.get(['k'])?.data).toBe('b')
  })
})

describe('a fetch() caller whose fetch was superseded, then gc removed the entry', () => {
  it('gets the data fetched after the remove-mode invalidation, not the dropped answer', async () => {
    const cache = createCache({ now: () => Date.now(), gcTime: 2000, retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // fetch A
    const result = track(cache.fetch({ key: ['k'], fetcher })) // joins A
    await flush()
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' }) // B, for the observer
    await flush()
    detach()
    await flush()
    call(1).resolve('after')
    await flush()
    await vi.advanceTimersByTimeAsync(2000) // nobody observes: gc removes the entry
    expect(cache.get(['k'])).toBeUndefined()
    call(0).resolve('from-before-the-remove')
    await flush()
    expect(calls).toHaveLength(2)
    expect(result).toEqual({ settled: true, value: 'after' })
  })

  it('after a remove and clear() with nothing fetched since, gets a fetch made after them', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    const result = track(cache.fetch({ key: ['k'], fetcher })) // fetch A
    await flush()
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' }) // nobody observes: no refetch
    cache.clear()
    call(0).resolve('from-before-the-remove')
    await flush()
    expect(calls).toHaveLength(2)
    expect(result).toEqual({ settled: false })
    call(1).resolve('after')
    await flush()
    expect(result).toEqual({ settled: true, value: 'after' })
    expect(cache.get(['k'])?.data).toBe('after')
  })

  it('after a remove and clear(), waits for the refetch made after the remove (which runs for it), not a third fetch', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, calls, call } = controlledFetcher<string>()
    observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // fetch A
    const result = track(cache.fetch({ key: ['k'], fetcher })) // joins A
    await flush()
    void cache.invalidate({ key: ['k'] }, { mode: 'remove' }) // B, for the observer
    await flush()
    cache.clear() // the observer moves to a new entry: C
    await flush()
    expect(calls).toHaveLength(3)
    call(0).resolve('from-before-the-remove')
    await flush()
    expect(result).toEqual({ settled: false })
    expect(calls[1]!.ctx.signal.aborted).toBe(false) // B runs for the caller
    call(1).resolve('b')
    await flush()
    expect(result).toEqual({ settled: true, value: 'b' })
    expect(calls).toHaveLength(3)
  })
})
