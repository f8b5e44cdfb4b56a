// cachet — the public entry. Everything a browser app uses; the Node-only
// invalidation hub lives in `cachet/server`.

export { createCache } from './core/cache'
export { versioned, notModified } from './core/result'
export { fetchJson, type HttpError } from './core/fetch-json'
export type {
  Cache,
  CacheEvent,
  CacheOptions,
  CacheStats,
  Entry,
  FetchContext,
  InvalidateOptions,
  InvalidationMode,
  InvalidationTarget,
  ModelVersionPolicy,
  NotModified,
  QueryKey,
  QueryOptions,
  QueryStatus,
  Schema,
  SchemaQueryOptions,
  SetOptions,
  Versioned,
} from './core/types'

export {
  broadcastInvalidations,
  connectInvalidations,
  invalidationMessage,
  type BroadcastOptions,
  type ConnectOptions,
  type EventSourceLike,
  type InvalidationConnection,
  type InvalidationMessage,
  type StreamOptions,
  type StreamState,
} from './stream/index'

export {
  CacheProvider,
  useCache,
  useCachedQuery,
  useInvalidate,
  useInvalidationStream,
  useMutation,
  type CacheProviderProps,
  type Invalidate,
  type MutationStatus,
  type QueryHookOptions,
  type UseCachedQueryOptions,
  type UseCachedQueryResult,
  type UseMutationOptions,
  type UseMutationResult,
} from './react/index'
