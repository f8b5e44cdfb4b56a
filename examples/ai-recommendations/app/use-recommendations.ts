import { useMemo } from 'react'
import { useCache, useCachedQuery } from '../../../src/index'
import type { Arm, Recommendations } from '../types'
import { recommendationsKey, recommendationsQuery } from './queries'

/**
 * One user's recommendations in `arm`. Every component that shows them calls
 * this hook: they share one cache entry, so one request serves them all.
 *
 * Tags come from the data: the entry depends on the products it shows, which
 * are only known once the model answered. Reading them from the cache (not
 * from this hook's result) keeps every caller's options identical.
 */
export function useRecommendations(arm: Arm, user: string) {
  const cache = useCache()
  const shown = cache.get<Recommendations>(recommendationsKey(user), arm)?.data
  // Same options object while the user and the shown data stay the same.
  const query = useMemo(() => recommendationsQuery(user, shown), [user, shown])
  return useCachedQuery(query)
}
