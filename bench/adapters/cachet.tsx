import type { ReactNode } from 'react'
import { CacheProvider, createCache, useCachedQuery } from '../../src/index'
import type { Adapter, Fetch, Harness, HarnessOptions, Query } from './types'

/**
 * cachet through its public API only, configured like the peers: no retries
 * (`retry: 0`), focus refetch off during timed runs and at its default (on)
 * in the backend-calls session, `staleTime` per scenario. Tags, segment and
 * model are given to the query; invalidation passes the target as is.
 */
function createCachet(options: HarnessOptions): Harness {
  const cache = createCache({
    staleTime: options.staleTime,
    retry: 0,
    refetchOnFocus: options.refetchOnFocus,
    refetchOnReconnect: false,
    ...(options.models ? { models: options.models } : {}),
  })

  return {
    Root: ({ children }: { children?: ReactNode }) => <CacheProvider cache={cache}>{children}</CacheProvider>,
    useData<T>(query: Query, fetch: Fetch<T>): T | undefined {
      return useCachedQuery<T>({
        key: query.key,
        segment: query.segment,
        tags: query.tags,
        model: query.model,
        fetcher: () => fetch(query),
      }).data
    },
    invalidate: ({ target, mode }) => cache.invalidate(target, mode ? { mode } : undefined),
    set: (query, data) =>
      cache.set(query.key, data, { segment: query.segment, tags: query.tags, model: query.model }),
    prefill(entries) {
      for (const { query, data, etag } of entries) {
        cache.set(query.key, data, { segment: query.segment, tags: query.tags, model: query.model, etag })
      }
    },
    setModelVersion({ model, version, policy }) {
      cache.setModelVersion(model, version, { policy })
      return Promise.resolve()
    },
    size: () => cache.stats().entries,
    dispose: () => cache.clear(),
  }
}

export const cachetAdapter: Adapter = { name: 'cachet', create: createCachet }
