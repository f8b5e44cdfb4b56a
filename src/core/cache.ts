import { CacheCore } from './cache-core'
import { registerInternals } from './internals'
import { checkOptionsObject } from './options'
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
  SchemaQueryOptions,
  SetOptions,
} from './types'

/** Throws unless `value` is one of `allowed`: `invalidate: mode must be 'stale' or 'remove', got "soon"`. */
function checkOneOf(where: string, name: string, value: unknown, allowed: readonly string[]): void {
  if (!allowed.includes(value as string)) {
    throw new TypeError(`${where}: ${name} must be '${allowed.join("' or '")}', got ${JSON.stringify(value)}`)
  }
}

function checkName(name: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`setModelVersion: ${name} must be a non-empty string, got ${JSON.stringify(value)}`)
  }
}

/** Creates a query cache. Safe to call on a server: nothing touches the DOM until a query is observed. */
export function createCache(options?: CacheOptions): Cache {
  const core = new CacheCore(options)
  const cache: Cache = {
    fetch<T>(query: QueryOptions<T> | SchemaQueryOptions<T>): Promise<T> {
      return core.fetchQuery(query as QueryOptions<T>, false, 'fetch')
    },
    get<T>(key: QueryKey, segment?: string): Entry<T> | undefined {
      const entry = core.lookup(key, segment, 'get')
      if (!entry) return undefined
      entry.restamp()
      return entry.snapshot as Entry<T>
    },
    set<T>(key: QueryKey, dataOrUpdater: T | ((old: T | undefined) => T), setOptions: SetOptions = {}): void {
      checkOptionsObject('set', 'options', setOptions)
      core.set(key, dataOrUpdater, setOptions)
    },
    invalidate(target: InvalidationTarget = {}, invalidateOptions: InvalidateOptions = {}): Promise<number> {
      checkOptionsObject('invalidate', 'options', invalidateOptions)
      const mode = invalidateOptions.mode ?? 'stale'
      checkOneOf('invalidate', 'mode', mode, ['stale', 'remove'])
      return core.invalidate(target, mode)
    },
    setModelVersion(model: string, version: string, versionOptions: { policy?: ModelVersionPolicy | undefined } = {}): void {
      checkName('model', model)
      checkName('version', version)
      checkOptionsObject('setModelVersion', 'options', versionOptions)
      const policy = versionOptions.policy ?? 'lazy'
      checkOneOf('setModelVersion', 'policy', policy, ['immediate', 'lazy'])
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
