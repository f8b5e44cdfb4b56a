import type { ComponentType, ReactNode } from 'react'

/** One query as the scenarios describe it; each adapter encodes it its library's way. */
export interface Query {
  key: readonly (string | number)[]
  /** cachet scopes entries by segment; the peers put it at the end of the key. */
  segment?: string
  /** What the entry depends on. TanStack keeps them in `meta`; SWR cannot keep them. */
  tags?: readonly string[]
  /** The AI model whose answers the entry caches. */
  model?: string
}

export type Fetch<T> = (query: Query) => Promise<T>

/**
 * One invalidation, in two forms: `target` for libraries that can match on
 * tags, segments and models (cachet natively, TanStack with a predicate over
 * `meta`, the floor by brute force), and `byKey` for SWR, whose key filter
 * sees only keys, so it must cover everything the target could hit.
 */
export interface Invalidation {
  target: {
    key?: readonly unknown[]
    tags?: readonly string[]
    segment?: string
    model?: string
  }
  byKey: (key: readonly unknown[], segment: string | undefined) => boolean
  /** 'remove': the data must not be shown again (an out-of-stock product). */
  mode?: 'stale' | 'remove'
}

export interface ModelChange {
  model: string
  version: string
  policy: 'immediate' | 'lazy'
  byKey: Invalidation['byKey']
}

export interface HarnessOptions {
  /** ms a result counts as fresh (SWR: its dedupingInterval, the closest knob). */
  staleTime: number
  /** Follow the library's default focus refetching (scenario 8) or switch it off. */
  refetchOnFocus: boolean
  /** Current model versions at start (cachet's `models` option). */
  models?: Record<string, string>
}

/** One cache instance of one library, mounted once per run. */
export interface Harness {
  /** The library's provider, with its cache, around the app. */
  Root: ComponentType<{ children?: ReactNode }>
  /** The library's query hook, reading only `data`. */
  useData<T>(query: Query, fetch: Fetch<T>): T | undefined
  /** Resolves when the library reports the triggered refetches settled. */
  invalidate(invalidation: Invalidation): Promise<unknown>
  /** Writes data into the cache; observers re-render. */
  set<T>(query: Query, data: T): void
  /** Fills the cache without rendering (the Root must be mounted first). */
  prefill<T>(entries: readonly { query: Query; data: T; etag?: string }[]): void
  /**
   * A new model version. Peers have no notion of one: 'lazy' changes nothing
   * for them, 'immediate' invalidates the model's entries (`byKey` for SWR).
   */
  setModelVersion(change: ModelChange): Promise<unknown>
  /** Entries the cache holds (sanity check for the memory scenario). */
  size(): number
  dispose(): void
}

export interface Adapter {
  name: string
  create(options: HarnessOptions): Harness
}
