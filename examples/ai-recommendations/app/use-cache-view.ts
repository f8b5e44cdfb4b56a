import { useEffect, useState } from 'react'
import type { Cache, Entry } from '../../../src/index'

export interface CacheView {
  /** Every entry the cache holds, by `JSON.stringify([key, segment])`. */
  entries: ReadonlyMap<string, Entry<unknown>>
  /** The recommender's current version in this tab's cache. */
  modelVersion: string
  stats: ReturnType<Cache['stats']>
}

/**
 * Mirrors the cache for the panel, from `cache.subscribe` alone (the cache
 * has no "list entries" call: the panel keeps its own map). Ticks once a
 * second so ages and freshness move on screen.
 */
export function useCacheView(cache: Cache, model: string, initialVersion: string): CacheView {
  const [view, setView] = useState<CacheView>(() => ({
    entries: new Map(),
    modelVersion: initialVersion,
    stats: cache.stats(),
  }))

  useEffect(() => {
    const entries = new Map<string, Entry<unknown>>()
    let modelVersion = initialVersion
    const publish = () => {
      // Re-read every entry: some changes (a query's tags following its data)
      // update the snapshot without an event.
      for (const [id, entry] of entries) entries.set(id, cache.get(entry.key, entry.segment) ?? entry)
      setView({ entries: new Map(entries), modelVersion, stats: cache.stats() })
    }
    const unsubscribe = cache.subscribe((event) => {
      if (event.type === 'model-version' && event.model === model) modelVersion = event.version
      if (event.type === 'added' || event.type === 'updated') entries.set(idOf(event.entry), event.entry)
      if (event.type === 'removed') entries.delete(idOf(event.entry))
      publish()
    })
    const ticker = setInterval(publish, 1000)
    return () => {
      unsubscribe()
      clearInterval(ticker)
    }
  }, [cache, model, initialVersion])

  return view
}

function idOf(entry: Entry<unknown>): string {
  return JSON.stringify([entry.key, entry.segment ?? null])
}
