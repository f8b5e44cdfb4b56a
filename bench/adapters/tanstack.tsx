import {
  QueryClient,
  QueryClientProvider,
  useQuery,
  type Query as TanstackQuery,
  type QueryFilters,
} from '@tanstack/react-query'
import type { ReactNode } from 'react'
import { matchesTarget } from './match'
import type { Adapter, Fetch, Harness, HarnessOptions, Invalidation, Query } from './types'

/**
 * TanStack Query v5 as its docs recommend:
 * - one QueryClient per app, given through QueryClientProvider;
 * - `retry: false` (no failures are scripted; retries would only add timers);
 * - `refetchOnWindowFocus` off during timed runs, library default (on) in the
 *   backend-calls session; `staleTime` set per scenario on the client defaults;
 * - the segment is the last element of the query key (query keys must hold
 *   every variable the query depends on); tags and the model go in `meta`,
 *   and invalidation is `invalidateQueries` with a `predicate` over `meta`
 *   (the documented way to match on anything that is not a key prefix);
 * - "must not be shown again" is `resetQueries`, which drops the data and
 *   refetches the active queries;
 * - components read only `data`, so tracked results skip other re-renders.
 */
interface Meta extends Record<string, unknown> {
  tags: readonly string[]
  model: string | undefined
  segment: string | undefined
}

const keyOf = (query: Query) => [...query.key, query.segment ?? null]

function filtersFor(target: Invalidation['target']): QueryFilters {
  const precise = target.tags !== undefined || target.segment !== undefined || target.model !== undefined
  if (!precise) return target.key ? { queryKey: [...target.key] } : {}
  return {
    predicate: (query: TanstackQuery) => {
      const meta = query.meta as Meta | undefined
      const key = query.queryKey
      return matchesTarget(target, {
        key: key.slice(0, -1),
        segment: meta?.segment,
        tags: meta?.tags ?? [],
        model: meta?.model,
      })
    },
  }
}

function createTanstack(options: HarnessOptions): Harness {
  const client = new QueryClient({
    defaultOptions: {
      queries: {
        retry: false,
        staleTime: options.staleTime,
        refetchOnWindowFocus: options.refetchOnFocus,
        refetchOnReconnect: false,
      },
    },
  })
  client.mount()

  function invalidate({ target, mode }: Invalidation): Promise<unknown> {
    const filters = filtersFor(target)
    return mode === 'remove' ? client.resetQueries(filters) : client.invalidateQueries(filters)
  }

  return {
    Root: ({ children }: { children?: ReactNode }) => (
      <QueryClientProvider client={client}>{children}</QueryClientProvider>
    ),
    useData<T>(query: Query, fetch: Fetch<T>): T | undefined {
      const meta: Meta = { tags: query.tags ?? [], model: query.model, segment: query.segment }
      return useQuery({ queryKey: keyOf(query), queryFn: () => fetch(query), meta }).data
    },
    invalidate,
    set: (query, data) => void client.setQueryData(keyOf(query), data),
    prefill(entries) {
      for (const { query, data } of entries) client.setQueryData(keyOf(query), data)
    },
    setModelVersion({ model, policy }) {
      if (policy === 'lazy') return Promise.resolve()
      return invalidate({ target: { model }, byKey: () => false })
    },
    size: () => client.getQueryCache().getAll().length,
    dispose() {
      client.clear()
      client.unmount()
    },
  }
}

export const tanstackAdapter: Adapter = { name: 'tanstack', create: createTanstack }
