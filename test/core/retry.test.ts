// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

/** A fetcher that fails `failures` times with `error()`, then answers 'ok'; records start times. */
function failing(failures: number, error: () => unknown = () => new Error('down')) {
  const startedAt: number[] = []
  const fetcher = vi.fn(async () => {
    startedAt.push(Date.now())
    if (startedAt.length <= failures) throw error()
    return 'ok'
  })
  return { fetcher, startedAt }
}

const httpError = (status: number) => Object.assign(new Error(`HTTP ${status}`), { status })

describe('retry', () => {
  it('retries twice by default, after 1 s and then 2 s, then fails', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher, startedAt } = failing(Infinity)
    const t0 = Date.now()
    const result = cache.fetch({ key: ['k'], fetcher }).catch((e: unknown) => e)
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(999)
    expect(fetcher).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(1)
    expect(fetcher).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(60_000)
    expect(startedAt.map((t) => t - t0)).toEqual([0, 1000, 3000])
    expect(await result).toBeInstanceOf(Error)
    expect(cache.get(['k'])?.status).toBe('error')
  })

  it('backs off exactly 1 s, 2 s, 4 s, 8 s, 16 s, then caps at 30 s', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 8 })
    const { fetcher, startedAt } = failing(Infinity)
    const t0 = Date.now()
    const result = cache.fetch({ key: ['k'], fetcher }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(200_000)
    const gaps = startedAt.slice(1).map((t, i) => t - (startedAt[i] ?? t0))
    expect(gaps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000])
    expect(await result).toBeInstanceOf(Error)
  })

  it('resolves with the data when a retry succeeds, and the entry shows no error', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher } = failing(2)
    const result = cache.fetch({ key: ['k'], fetcher })
    await vi.advanceTimersByTimeAsync(3000)
    await expect(result).resolves.toBe('ok')
    expect(fetcher).toHaveBeenCalledTimes(3)
    expect(cache.get(['k'])).toMatchObject({ status: 'success', data: 'ok', error: undefined })
  })

  it('keeps the entry fetching and without error while it waits to retry', async () => {
    const cache = createCache({ now: () => Date.now() })
    const { fetcher } = failing(1)
    const result = cache.fetch({ key: ['k'], fetcher })
    await vi.advanceTimersByTimeAsync(500)
    expect(cache.get(['k'])).toMatchObject({ isFetching: true, status: 'pending', error: undefined })
    await vi.advanceTimersByTimeAsync(500)
    await expect(result).resolves.toBe('ok')
  })

  it.each([400, 401, 404, 422, 499])('never retries an error with status %i', async (status) => {
    const cache = createCache({ now: () => Date.now(), retry: 5 })
    const { fetcher } = failing(Infinity, () => httpError(status))
    const result = cache.fetch({ key: ['k'], fetcher }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
    expect((await result) as { status: number }).toMatchObject({ status })
  })

  it.each([399, 500, 503])('retries an error with status %i', async (status) => {
    const cache = createCache({ now: () => Date.now(), retry: 1 })
    const { fetcher } = failing(Infinity, () => httpError(status))
    const result = cache.fetch({ key: ['k'], fetcher }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2)
    await result
  })

  it('retries non-Error throws (wrapped), which carry no status', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 1 })
    const { fetcher } = failing(Infinity, () => 'string failure')
    const result = cache.fetch({ key: ['k'], fetcher }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(10_000)
    expect(fetcher).toHaveBeenCalledTimes(2)
    expect(await result).toBeInstanceOf(Error)
  })

  it('uses the query retry over the cache retry', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 5 })
    const { fetcher } = failing(Infinity)
    const result = cache.fetch({ key: ['k'], fetcher, retry: 0 }).catch((e: unknown) => e)
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
    await result
  })

  it('does not retry at all with retry: 0', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher } = failing(Infinity)
    await expect(cache.fetch({ key: ['k'], fetcher })).rejects.toThrow('down')
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
  })

  it('a retry that starts after an invalidation is its refetch: no extra fetch once it succeeds', async () => {
    // fail ── invalidate (waiting to retry) ── retry calls the fetcher ── ok: fresh, one fetch.
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    const { fetcher, startedAt } = failing(1)
    const t0 = Date.now()
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    await vi.advanceTimersByTimeAsync(500)
    const invalidated = cache.invalidate({ key: ['k'] })
    await vi.advanceTimersByTimeAsync(60_000)
    expect(startedAt.map((t) => t - t0)).toEqual([0, 1000])
    expect(await invalidated).toBe(1)
    expect(cache.get(['k'])).toMatchObject({ data: 'ok', isStale: false, isFetching: false })
    detach()
  })

  it('an invalidation while a retry runs is still owed a fetch after it', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 60_000 })
    let n = 0
    let release!: () => void
    const fetcher = vi.fn(async () => {
      n++
      if (n === 1) throw new Error('down')
      if (n === 2) await new Promise<void>((r) => (release = r))
      return `v${n}`
    })
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await vi.advanceTimersByTimeAsync(1000)
    expect(fetcher).toHaveBeenCalledTimes(2)
    void cache.invalidate({ key: ['k'] })
    release()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetcher).toHaveBeenCalledTimes(3)
    expect(cache.get(['k'])).toMatchObject({ data: 'v3', isStale: false })
    detach()
  })

  it('stops retrying when the last observer leaves', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 5 })
    const { fetcher } = failing(Infinity)
    const detach = observe(cache, { key: ['k'], fetcher }).subscribe(() => {})
    await flush()
    expect(fetcher).toHaveBeenCalledTimes(1)
    detach()
    await vi.advanceTimersByTimeAsync(120_000)
    expect(fetcher).toHaveBeenCalledTimes(1)
  })
})
