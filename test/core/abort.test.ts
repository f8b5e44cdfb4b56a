// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { FetchContext } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

/** Like a real fetch(): rejects with an AbortError when its signal aborts. */
function abortableFetcher() {
  const { fetcher: inner, calls, call } = controlledFetcher<string>()
  const fetcher = vi.fn((ctx: FetchContext) => {
    const promise = inner(ctx)
    ctx.signal.addEventListener('abort', () => call(calls.length - 1).reject(ctx.signal.reason), { once: true })
    return promise
  })
  return { fetcher, calls, call }
}

describe('abort (semantic 7)', () => {
  it('aborts the signal when the last observer of an in-flight fetch detaches', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false)
    detach()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true)
  })

  it('does not abort when an observer comes back in the same tick (StrictMode double mount): one fetch', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, calls, call } = abortableFetcher()
    const observer = observe(cache, { key: ['k'], fetcher })
    const first = observer.subscribe(() => {})
    first()
    const second = observer.subscribe(() => {})
    await flush()
    expect(calls).toHaveLength(1)
    expect(call(0).ctx.signal.aborted).toBe(false)
    call(0).resolve('once')
    await flush()
    expect(observer.getSnapshot()?.data).toBe('once')
    expect(calls).toHaveLength(1)
    second()
  })

  it('does not abort when a second observer came back in the same tick after the first fetch started', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, calls, call } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detach()
    const again = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false)
    expect(calls).toHaveLength(1)
    again()
  })

  it('does not abort while another observer remains', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = abortableFetcher()
    const detachA = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    const detachB = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detachA()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false)
    detachB()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true)
  })

  it('counts a caller awaiting cache.fetch() as waiting: the fetch is not aborted', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    const awaited = cache.fetch({ key: ['k'], fetcher })
    detach()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(false)
    call(0).resolve('delivered')
    await expect(awaited).resolves.toBe('delivered')
  })

  it('never aborts a fetch started by cache.fetch() alone', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, call } = abortableFetcher()
    const awaited = cache.fetch({ key: ['k'], fetcher })
    await flush()
    await vi.advanceTimersByTimeAsync(1000)
    expect(call(0).ctx.signal.aborted).toBe(false)
    call(0).resolve('v')
    await expect(awaited).resolves.toBe('v')
  })

  it('leaves an entry without data as it was: pending, no error, not fetching', async () => {
    const onError = vi.fn()
    const cache = createCache({ now: () => Date.now(), onError })
    const { fetcher } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detach()
    await flush()
    const entry = cache.get(['k'])
    // The entry may be kept until gc, or dropped; either way it holds no error.
    if (entry) {
      expect(entry).toMatchObject({ status: 'pending', error: undefined, data: undefined, isFetching: false })
    }
    expect(onError).not.toHaveBeenCalled()
    expect(cache.stats().errors).toBe(0)
    expect(cache.stats().inFlight).toBe(0)
  })

  it('leaves an entry with data as it was before the aborted fetch', async () => {
    const onError = vi.fn()
    const cache = createCache({ now: () => Date.now(), onError })
    cache.set(['k'], 'before', { etag: '"e1"' })
    const before = cache.get(['k'])
    await vi.advanceTimersByTimeAsync(10)
    const { fetcher, calls } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {}) // stale: refetches
    await flush()
    expect(calls).toHaveLength(1)
    detach()
    await flush()
    expect(cache.get(['k'])).toMatchObject({
      status: 'success',
      data: 'before',
      error: undefined,
      isFetching: false,
      updatedAt: before?.updatedAt,
      etag: '"e1"',
    })
    expect(onError).not.toHaveBeenCalled()
    expect(cache.stats().errors).toBe(0)
  })

  it('does not retry an aborted fetch', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 3 })
    const { fetcher, calls } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detach()
    await vi.advanceTimersByTimeAsync(60_000)
    expect(calls).toHaveLength(1)
  })

  it('fetches again with a fresh signal when an observer mounts after the abort', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, calls, call } = abortableFetcher()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detach()
    await flush()
    const observer = observe(cache, { key: ['k'], fetcher })
    const again = observer.subscribe(() => {})
    await flush()
    expect(calls).toHaveLength(2)
    expect(call(1).ctx.signal.aborted).toBe(false)
    call(1).resolve('second')
    await flush()
    expect(observer.getSnapshot()?.data).toBe('second')
    again()
  })

  it('ignores a late answer from a fetcher that did not honour the abort', async () => {
    const cache = createCache({ now: () => Date.now() })
    cache.set(['k'], 'before')
    const { fetcher, call } = controlledFetcher<string>() // ignores its signal
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    detach()
    await flush()
    expect(call(0).ctx.signal.aborted).toBe(true)
    call(0).reject(new Error('network gone'))
    await flush()
    expect(cache.get(['k'])).toMatchObject({ status: 'success', data: 'before', error: undefined })
  })
})

describe('the fetcher context', () => {
  it('gives key, segment, etag, model version and a live signal to a fetcher that destructures it', async () => {
    const cache = createCache({ now: () => Date.now(), models: { recs: 'v2' } })
    cache.set(['k'], 'old', { segment: 'arm-a', etag: '"e1"', model: 'recs' })
    let seen: Omit<FetchContext, 'signal'> & { aborted: boolean } | undefined
    let signal: AbortSignal | undefined
    const fetching = cache.fetch({
      key: ['k'],
      segment: 'arm-a',
      model: 'recs',
      staleTime: 0,
      fetcher: ({ key, segment, etag, modelVersion, signal: given }) => {
        signal = given
        seen = { key, segment, etag, modelVersion, aborted: given.aborted }
        return Promise.resolve('new')
      },
    })
    await expect(fetching).resolves.toBe('new')
    expect(seen).toEqual({ key: ['k'], segment: 'arm-a', etag: '"e1"', modelVersion: 'v2', aborted: false })
    expect(signal).toBeInstanceOf(AbortSignal)
  })
})
