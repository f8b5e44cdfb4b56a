import { CacheCore } from './cache-core'
import { registerInternals } from './internals'
import type {
  Cache,
  CacheEvent,
  CacheOptions,
  CacheStats,
  Entry,
  InvalidateOptions,
  InvalidationTarget,
  ModelVersionPolicy,
  QueryKey,
  QueryOptions,
  SetOptions,
} from './types'

const modes = ['stale', 'remove'] as const
const policies = ['immediate', 'lazy'] as const

/** Creates a query cache. Safe to call on a server: nothing touches the DOM until a query is observed. */
export function createCache(options?: CacheOptions): Cache {
  const core = new CacheCore(options)
  const cache: Cache = {
    fetch<T>(query: QueryOptions<T>): Promise<T> {
      return core.fetchQuery(query, false, 'fetch')
    },
    get<T>(key: QueryKey, segment?: string): Entry<T> | undefined {
      const entry = core.lookup(key, segment, 'get')
      if (!entry) return undefined
      entry.restamp()
      return entry.snapshot as Entry<T>
    },
    set<T>(key: QueryKey, dataOrUpdater: T | ((old: T | undefined) => T), setOptions: SetOptions = {}): void {
      core.set(key, dataOrUpdater, setOptions)
    },
    invalidate(target: InvalidationTarget = {}, invalidateOptions: InvalidateOptions = {}): Promise<number> {
      const mode = invalidateOptions.mode ?? 'stale'
      if (!modes.includes(mode)) {
        throw new TypeError(`invalidate: mode must be 'stale' or 'remove', got ${JSON.stringify(mode)}`)
      }
      return core.invalidate(target, mode)
    },
    setModelVersion(model: string, version: string, versionOptions: { policy?: ModelVersionPolicy } = {}): void {
      if (typeof model !== 'string' || model === '') throw new TypeError(`setModelVersion: model must be a non-empty string, got ${JSON.stringify(model)}`)
      if (typeof version !== 'string' || version === '') throw new TypeError(`setModelVersion: version must be a non-empty string, got ${JSON.stringify(version)}`)
      const policy = versionOptions.policy ?? 'lazy'
      if (!policies.includes(policy)) {
        throw new TypeError(`setModelVersion: policy must be 'immediate' or 'lazy', got ${JSON.stringify(policy)}`)
      }
      core.setModelVersion(model, version, policy)
    },
    subscribe(listener: (event: CacheEvent) => void): () => void {
      return core.subscribe(listener)
    },
    stats(): CacheStats {
      return core.stats()
    },
    clear(): void {
      core.clear()
    },
  }
  registerInternals(cache, core)
  return cache
}
