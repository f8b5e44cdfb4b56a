import type { CacheCore } from './cache-core'

// The public Cache is a thin facade; the observer, the error reporter and the
// stream client reach the engine behind it through this registry.
const registry = new WeakMap<object, CacheCore>()

export function registerInternals(cache: object, core: CacheCore): void {
  registry.set(cache, core)
}

export function internalsOf(cache: object): CacheCore
export function internalsOf(cache: object, required: false): CacheCore | undefined
export function internalsOf(cache: object, required = true): CacheCore | undefined {
  const core = registry.get(cache)
  if (!core && required) {
    throw new TypeError('cachet: expected a cache made by createCache()')
  }
  return core
}
