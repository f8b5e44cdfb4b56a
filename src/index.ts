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
  SetOptions,
  Versioned,
} from './core/types'

export { invalidationMessage, type InvalidationMessage } from './stream/schema'

export { CacheProvider, type CacheProviderProps } from './react/provider'
export { useCache } from './react/use-cache'
