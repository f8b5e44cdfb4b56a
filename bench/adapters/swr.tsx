import type { ReactNode } from 'react'
import useSWR, { SWRConfig, useSWRConfig, type Cache, type ScopedMutator } from 'swr'
import type { Adapter, Fetch, Harness, HarnessOptions, Invalidation, Query } from './types'

/**
 * SWR 2 as its docs recommend:
 * - a cache per app through `<SWRConfig value={{ provider: () => new Map() }}>`,
 *   and the `mutate` of `useSWRConfig()` (the global one does not see a
 *   provider's cache);
 * - `shouldRetryOnError: false`; `revalidateOnFocus` off during timed runs,
 *   library default (on) in the backend-calls session;
 * - SWR has no staleTime: `dedupingInterval` (requests for a key within that
 *   span reuse the last one) is the closest knob and gets the scenario's value;
 * - the key is an array holding the segment last; tags and models cannot be
 *   attached to an entry, so invalidation is `mutate(keyFilter)` and the
 *   filter is whatever an app that only has keys must match (`byKey`);
 * - "must not be shown again" is `mutate(keyFilter, undefined, { revalidate: true })`,
 *   which clears the data and revalidates.
 */
const keyOf = (query: Query) => [...query.key, query.segment ?? null]

function createSwr(options: HarnessOptions): Harness {
  const cache: Cache & Map<string, unknown> = new Map()
  let mutate: ScopedMutator | undefined
  const config = {
    provider: () => cache,
    shouldRetryOnError: false,
    revalidateOnFocus: options.refetchOnFocus,
    revalidateOnReconnect: false,
    dedupingInterval: options.staleTime,
  }

  function Capture() {
    mutate = useSWRConfig().mutate
    return null
  }

  function mutator(): ScopedMutator {
    if (!mutate) throw new Error('swr adapter: Root is not mounted yet')
    return mutate
  }

  function filterOf(byKey: Invalidation['byKey']) {
    return (key: unknown) => {
      // Entries written by mutate() before any hook used them carry no key to filter on.
      if (!Array.isArray(key)) return false
      const segment = key[key.length - 1] as string | null
      return byKey(key.slice(0, -1), segment ?? undefined)
    }
  }

  function invalidate({ byKey, mode }: Invalidation): Promise<unknown> {
    const filter = filterOf(byKey)
    return mode === 'remove' ? mutator()(filter, undefined, { revalidate: true }) : mutator()(filter)
  }

  return {
    Root: ({ children }: { children?: ReactNode }) => (
      <SWRConfig value={config}>
        <Capture />
        {children}
      </SWRConfig>
    ),
    useData<T>(query: Query, fetch: Fetch<T>): T | undefined {
      return useSWR(keyOf(query), () => fetch(query)).data
    },
    invalidate,
    set: (query, data) => void mutator()(keyOf(query), data, { revalidate: false }),
    prefill(entries) {
      const write = mutator()
      for (const { query, data } of entries) void write(keyOf(query), data, { revalidate: false })
    },
    setModelVersion({ byKey, policy }) {
      if (policy === 'lazy') return Promise.resolve()
      return invalidate({ target: {}, byKey })
    },
    size: () => cache.size,
    dispose: () => cache.clear(),
  }
}

export const swrAdapter: Adapter = { name: 'swr', create: createSwr }
