// @vitest-environment node
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Entry } from '../../src/core/types'
import { fakeTimersEachTest } from '../helpers/core'

fakeTimersEachTest()

describe('invalidate({ predicate })', () => {
  it('gives the predicate each entry as cache.get() shows it now: isStale once staleTime has passed, also for an entry nobody observes', async () => {
    const cache = createCache({ now: () => Date.now(), staleTime: 1000 })
    cache.set(['old'], 'old')
    vi.advanceTimersByTime(1500)
    cache.set(['new'], 'new')

    // Drop whatever is stale (TanStack Query's removeQueries({ stale: true })).
    const seen: Record<string, boolean> = {}
    const isStale = (entry: Entry<unknown>) => (seen[String(entry.data)] = entry.isStale)
    await expect(cache.invalidate({ predicate: isStale }, { mode: 'remove' })).resolves.toBe(1)
    expect(seen).toEqual({ old: true, new: false })
    expect(cache.get(['old'])).toMatchObject({ status: 'pending', data: undefined })
    expect(cache.get(['new'])).toMatchObject({ status: 'success', data: 'new', isStale: false })
  })
})
