// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import type { FetchContext } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush, track } from '../helpers/core'

fakeTimersEachTest()

describe('fetchers that throw (semantic 8)', () => {
  it.each([
    ['a string', 'boom', /boom/],
    ['a number', 503, /503/],
    ['a plain object', { code: 'E_DOWN' }, /E_DOWN|object/],
    ['undefined', undefined, /undefined|fetcher|threw/i],
    ['null', null, /null|fetcher|threw/i],
  ])('wraps %s thrown by a fetcher in an Error', async (_what, thrown, pattern) => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = async (): Promise<string> => {
      throw thrown
    }
    const error = await cache.fetch({ key: ['k'], fetcher }).then(
      () => undefined,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(pattern)
    const entry = cache.get(['k'])
    expect(entry?.status).toBe('error')
    expect(entry?.error).toBeInstanceOf(Error)
  })

  it('wraps a non-Error rejected synchronously (a fetcher that is not async)', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const fetcher = (): Promise<string> => {
      throw 'sync boom' // eslint-disable-line @typescript-eslint/only-throw-error
    }
    await expect(cache.fetch({ key: ['k'], fetcher })).rejects.toThrow(/sync boom/)
    expect(cache.get(['k'])?.error).toBeInstanceOf(Error)
    expect(cache.stats()).toMatchObject({ inFlight: 0, queued: 0 })
  })

  it('keeps an Error thrown by the fetcher as it is', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const original = Object.assign(new Error('teapot'), { status: 418 })
    await expect(cache.fetch({ key: ['k'], fetcher: async () => Promise.reject(original) })).rejects.toBe(original)
    expect(cache.get(['k'])?.error).toBe(original)
  })

  it('keeps the last good data when a refetch fails, and clears the error on the next success', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    await cache.fetch({ key: ['k'], fetcher: async () => 'good' })
    await cache.fetch({ key: ['k'], fetcher: async () => Promise.reject('bad') }).catch(() => {})
    expect(cache.get(['k'])).toMatchObject({ status: 'error', data: 'good' })
    await cache.fetch({ key: ['k'], fetcher: async () => 'better' })
    expect(cache.get(['k'])).toMatchObject({ status: 'success', data: 'better', error: undefined })
  })

  it('shows an observer the wrapped error and leaves nothing in flight', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const observer = observe(cache, { key: ['k'], fetcher: async (): Promise<string> => Promise.reject({ why: 'x' }) })
    const detach = observer.subscribe(() => {})
    await flush()
    expect(observer.getSnapshot()?.status).toBe('error')
    expect(observer.getSnapshot()?.error).toBeInstanceOf(Error)
    expect(observer.getSnapshot()?.isFetching).toBe(false)
    expect(cache.stats()).toMatchObject({ inFlight: 0, errors: 1 })
    detach()
  })
})

// A fetcher that is not async may throw before it returns a promise (a missing
// session, a bad argument): with no retry left (retry 0, or a 4xx never retried)
// its fetch fails before startFetch has returned it.
describe('a fetcher that throws before returning its promise', () => {
  /** 401: never retried, so the default retry settings fail at once too. */
  const unauthorized = () => Object.assign(new Error('no session'), { status: 401 })

  it('still lets invalidate() of the mounted query settle', async () => {
    const cache = createCache({ now: () => Date.now() })
    let signedIn = true
    const fetcher = (): Promise<string> => {
      if (!signedIn) throw unauthorized()
      return Promise.resolve('mine')
    }
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    signedIn = false
    const stale = track(cache.invalidate({ key: ['k'] }))
    await flush()
    expect(cache.get(['k'])).toMatchObject({ status: 'error', data: 'mine', isFetching: false })
    expect(stale).toEqual({ settled: true, value: 1 })
    const removed = track(cache.invalidate({ key: ['k'] }, { mode: 'remove' }))
    await flush()
    expect(removed).toEqual({ settled: true, value: 1 })
    detach()
  })

  it('still lets invalidate() settle when it is the follow-up of a running fetch that throws', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher: running, call } = controlledFetcher<string>()
    let signedIn = true
    const fetcher = (ctx: FetchContext): Promise<string> => {
      if (!signedIn) throw unauthorized()
      return running(ctx)
    }
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    const done = track(cache.invalidate({ key: ['k'] })) // the first fetch runs: one follow-up is owed
    signedIn = false
    call(0).resolve('mine')
    await flush()
    expect(cache.get(['k'])).toMatchObject({ status: 'error', isFetching: false })
    expect(done).toEqual({ settled: true, value: 1 })
    detach()
  })
})
