// @vitest-environment node
import { describe, expect, it } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { CacheEvent } from '../../src/core/types'
import { controlledFetcher, fakeTimersEachTest, flush } from '../helpers/core'

fakeTimersEachTest()

describe('subscribe(): nothing follows an entry\'s removed event', () => {
  it('a fetch a caller still awaits when clear() runs (a logout) sends no updated event for the removed entry', async () => {
    const cache = createCache({ now: () => Date.now(), retry: 0 })
    const { fetcher, call } = controlledFetcher<string>()
    cache.set(['me'], 'alice')
    const loading = cache.fetch({ key: ['me'], fetcher }) // stale (staleTime 0): a fetch
    await flush()

    // A listener that mirrors the cache (devtools, a persister) by its events.
    const mirror = new Map<string, unknown>()
    const events: string[] = []
    cache.subscribe((event: CacheEvent) => {
      if (!('entry' in event)) return
      events.push(`${event.type} ${JSON.stringify(event.entry.key)} ${String(event.entry.data)}`)
      if (event.type === 'removed') mirror.delete(JSON.stringify(event.entry.key))
      else mirror.set(JSON.stringify(event.entry.key), event.entry.data)
    })
    cache.clear()
    call(0).resolve('alice, fetched')
    await expect(loading).resolves.toBe('alice, fetched') // its caller still gets it (docs/API.md)
    await flush()
    expect(events).toEqual(['removed ["me"] alice'])
    expect(cache.get(['me'])).toBeUndefined()
    expect(mirror.size).toBe(0) // the logged-out user's data is not written back
  })
})
