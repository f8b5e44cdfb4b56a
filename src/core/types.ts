/** A JSON value allowed inside a query key. */
export type KeyPart =
  | string
  | number
  | boolean
  | null
  | readonly KeyPart[]
  | { readonly [field: string]: KeyPart | undefined }

/**
 * A query key: an array of JSON values, hashed stably (object field order
 * does not matter). `['recs', { user: 7 }]`.
 */
export type QueryKey = readonly unknown[]

declare const versionedBrand: unique symbol
declare const notModifiedBrand: unique symbol

/** A fetcher result that carries the ETag the server sent with it. */
export interface Versioned<T> {
  readonly [versionedBrand]: true
  readonly data: T
  readonly etag: string
}

/** The fetcher's "304": keep the cached data, mark it fresh, no re-render. */
export interface NotModified {
  readonly [notModifiedBrand]: true
}

/** What a fetcher is given; `key` has the type of the query's key (a tuple, for a literal key). */
export interface FetchContext<K extends QueryKey = QueryKey> {
  key: K
  segment: string | undefined
  /** Aborted when nobody waits for the result any more. */
  signal: AbortSignal
  /** The ETag of the cached data, for `If-None-Match`. */
  etag: string | undefined
  /** Current version of the query's model, if it names one. */
  modelVersion: string | undefined
}

/** Anything with a zod-compatible `safeParse`. */
export interface Schema<T> {
  safeParse(input: unknown): { success: boolean; data?: T; error?: unknown }
}

export interface QueryOptions<T, K extends QueryKey = QueryKey> {
  key: K
  // A method, so a query built for a literal key is still a QueryOptions<T>.
  fetcher(ctx: FetchContext<K>): Promise<T | Versioned<T> | NotModified>
  /** Scopes the entry: a user segment, an experiment arm, a tenant. */
  segment?: string | undefined
  /** What the entry depends on: invalidating any of them hits it. */
  tags?: readonly string[] | undefined
  /** The model whose answers this query caches. */
  model?: string | undefined
  /** Validates what the fetcher returns (zod or anything with `safeParse`). */
  schema?: Schema<T> | undefined
  /** ms a result stays fresh. */
  staleTime?: number | undefined
  /** ms an entry with no observers is kept. */
  gcTime?: number | undefined
  /** Retries after the first failure. */
  retry?: number | undefined
}

/**
 * A query whose schema gives its data type: the fetcher may return anything
 * (`res.json()`, a wider type, the input of a zod transform); the cache holds
 * what the schema parsed.
 */
export interface SchemaQueryOptions<T, K extends QueryKey = QueryKey> extends Omit<QueryOptions<T, K>, 'fetcher' | 'schema'> {
  fetcher(ctx: FetchContext<K>): Promise<unknown>
  schema: Schema<T>
}

export type QueryStatus = 'pending' | 'success' | 'error'

/** An immutable snapshot of one cached entry. */
export interface Entry<T> {
  readonly key: QueryKey
  readonly segment: string | undefined
  readonly tags: readonly string[]
  readonly data: T | undefined
  readonly error: Error | undefined
  readonly status: QueryStatus
  readonly isFetching: boolean
  readonly isStale: boolean
  /** Clock time of the last success, 0 if none. */
  readonly updatedAt: number
  readonly etag: string | undefined
  /** The model that produced the data: the query's for fetched data, `set`'s `model` option for set data (none without it). */
  readonly model: string | undefined
  /** The version of that model that produced the data. */
  readonly modelVersion: string | undefined
}

/** Which entries an invalidation hits. Every given field must match; `{}` matches all. */
export interface InvalidationTarget {
  /** Prefix match, element by element (deep equality). */
  key?: QueryKey | undefined
  /** With `key`: the whole key must be equal. */
  exact?: boolean | undefined
  /** The entry lists ANY of these tags. */
  tags?: readonly string[] | undefined
  /** The entry's segment is exactly this. */
  segment?: string | undefined
  /** The entry caches answers of this model. */
  model?: string | undefined
  /** The entry was produced by this model version. */
  modelVersion?: string | undefined
  predicate?: ((entry: Entry<unknown>) => boolean) | undefined
}

export type InvalidationMode = 'stale' | 'remove'
export interface InvalidateOptions {
  mode?: InvalidationMode | undefined
}

export type ModelVersionPolicy = 'immediate' | 'lazy'

export interface SetOptions {
  segment?: string | undefined
  tags?: readonly string[] | undefined
  etag?: string | undefined
  model?: string | undefined
}

export interface CacheOptions {
  /** ms a result stays fresh. Default 0. */
  staleTime?: number | undefined
  /** ms an entry with no observers is kept. Default 300_000. */
  gcTime?: number | undefined
  /** Retries after the first failure. Default 2; backoff 1s, 2s, 4s … capped at 30s. */
  retry?: number | undefined
  /**
   * Fetches in flight at once across the cache; the rest queue FIFO. Default
   * Infinity. A fetcher that awaits `cache.fetch()` of another key keeps its
   * slot while it waits: with fetches nested as deep as the limit, none can
   * start and none settles. Fetch a dependency before the fetcher that needs
   * it, or keep the limit above the nesting depth.
   */
  maxConcurrentFetches?: number | undefined
  /** Current version of each model: `{ recommender: 'r3' }`. */
  models?: Record<string, string> | undefined
  /** Default true. */
  refetchOnFocus?: boolean | undefined
  /** Default true. */
  refetchOnReconnect?: boolean | undefined
  /** Clock, injectable for tests. Default `Date.now`. */
  now?: (() => number) | undefined
  /** Rejected server events, schema failures, etc. */
  onError?: ((error: Error) => void) | undefined
}

/** What `cache.subscribe` listeners receive. */
export type CacheEvent =
  | { type: 'added'; entry: Entry<unknown> }
  | { type: 'updated'; entry: Entry<unknown> }
  | { type: 'removed'; entry: Entry<unknown> }
  | {
      type: 'invalidated'
      target: InvalidationTarget
      mode: InvalidationMode
      count: number
    }
  | {
      type: 'model-version'
      model: string
      version: string
      policy: ModelVersionPolicy
    }

export interface CacheStats {
  entries: number
  hits: number
  misses: number
  fetches: number
  deduped: number
  errors: number
  inFlight: number
  queued: number
}

export interface Cache {
  /** Fresh data from the cache, else one (deduped) fetch. */
  fetch<T, const K extends QueryKey = QueryKey>(query: QueryOptions<T, K> & { schema?: undefined }): Promise<T>
  /** Fresh data from the cache, else one (deduped) fetch; the data has the schema's type. */
  fetch<T, const K extends QueryKey = QueryKey>(query: SchemaQueryOptions<T, K>): Promise<T>
  /** Fresh data from the cache, else one (deduped) fetch (query options built elsewhere). */
  fetch<T>(query: QueryOptions<T>): Promise<T>
  get<T>(key: QueryKey, segment?: string): Entry<T> | undefined
  set<T>(
    key: QueryKey,
    dataOrUpdater: T | ((old: T | undefined) => T),
    options?: SetOptions,
  ): void
  /** Marks matches stale now; resolves to the number matched once triggered refetches settle. */
  invalidate(target?: InvalidationTarget, options?: InvalidateOptions): Promise<number>
  setModelVersion(model: string, version: string, options?: { policy?: ModelVersionPolicy | undefined }): void
  subscribe(listener: (event: CacheEvent) => void): () => void
  stats(): CacheStats
  /**
   * Removes every entry (a `removed` event each), as on a logout. Mounted
   * queries never show the removed data again: each moves to a new entry for
   * its key, `pending`, and refetches it when enabled. A `cache.fetch()` whose
   * fetch was in flight still resolves with what that fetch produced.
   */
  clear(): void
}
