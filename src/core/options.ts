import { describe } from './key'
import type { CacheOptions, QueryOptions } from './types'

export interface ResolvedCacheOptions {
  staleTime: number
  gcTime: number
  retry: number
  maxConcurrentFetches: number
  refetchOnFocus: boolean
  refetchOnReconnect: boolean
  now: () => number
  onError: ((error: Error) => void) | undefined
}

function checkTime(where: string, name: string, value: unknown): void {
  if (value === undefined) return
  // !(value >= 0) is also true for NaN.
  if (typeof value !== 'number' || !(value >= 0)) {
    throw new RangeError(`${where}: ${name} must be a number >= 0 (ms), got ${String(value)}`)
  }
}

function checkCount(where: string, name: string, value: unknown, min: number): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !(value >= min) || (value !== Infinity && !Number.isInteger(value))) {
    throw new RangeError(`${where}: ${name} must be a whole number >= ${min}, got ${String(value)}`)
  }
}

function checkFunction(where: string, name: string, value: unknown, optional: boolean): void {
  if (optional && value === undefined) return
  if (typeof value !== 'function') {
    throw new TypeError(`${where}: ${name} must be a function, got ${value === null ? 'null' : typeof value}`)
  }
}

export function resolveCacheOptions(options: CacheOptions = {}): ResolvedCacheOptions {
  const where = 'createCache'
  checkOptionsObject(where, 'options', options)
  checkTime(where, 'staleTime', options.staleTime)
  checkTime(where, 'gcTime', options.gcTime)
  checkCount(where, 'retry', options.retry, 0)
  checkCount(where, 'maxConcurrentFetches', options.maxConcurrentFetches, 1)
  checkFunction(where, 'now', options.now, true)
  checkFunction(where, 'onError', options.onError, true)
  if (options.models !== undefined) {
    // null or a string ('r3') would throw a bare TypeError, or give models '0' and '1'.
    checkOptionsObject(where, 'models', options.models)
    for (const [model, version] of Object.entries(options.models)) {
      if (typeof version !== 'string') {
        throw new TypeError(`${where}: models.${model} must be a version string, got ${typeof version}`)
      }
    }
  }
  return {
    staleTime: options.staleTime ?? 0,
    gcTime: options.gcTime ?? 300_000,
    retry: options.retry ?? 2,
    maxConcurrentFetches: options.maxConcurrentFetches ?? Infinity,
    refetchOnFocus: options.refetchOnFocus ?? true,
    refetchOnReconnect: options.refetchOnReconnect ?? true,
    now: options.now ?? Date.now,
    onError: options.onError,
  }
}

/** Throws a clear error for query options a user got wrong; `where` names the caller. */
export function checkQueryOptions(options: QueryOptions<unknown>, where: string): void {
  checkOptionsObject(where, 'options (with key and fetcher)', options)
  checkFunction(where, 'fetcher', options.fetcher, false)
  checkTime(where, 'staleTime', options.staleTime)
  checkTime(where, 'gcTime', options.gcTime)
  checkCount(where, 'retry', options.retry, 0)
  checkSegment(where, options.segment)
  checkTags(where, options.tags)
  if (options.model !== undefined && typeof options.model !== 'string') {
    throw new TypeError(`${where}: model must be a string, got ${typeof options.model}`)
  }
  if (options.schema !== undefined && typeof options.schema?.safeParse !== 'function') {
    throw new TypeError(`${where}: schema must have a safeParse method (a zod schema)`)
  }
}

/**
 * Throws unless `value` (`what`, for `where`) is a plain options object (an
 * array, null or a string is a mistake). The message is built only to throw:
 * a hook checks its options on every render.
 */
export function checkOptionsObject(where: string, what: string, value: unknown): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${where}: ${what} must be an object, got ${describe(value)}`)
  }
}

export function checkSegment(where: string, segment: unknown): void {
  if (segment !== undefined && typeof segment !== 'string') {
    throw new TypeError(`${where}: segment must be a string, got ${segment === null ? 'null' : typeof segment}`)
  }
}

export function checkTags(where: string, tags: unknown): void {
  if (tags === undefined) return
  if (!Array.isArray(tags)) throw new TypeError(`${where}: tags must be an array of strings`)
  // A loop, not forEach: no closure per check (a hook checks its tags on every render).
  for (let i = 0; i < tags.length; i++) {
    if (typeof tags[i] !== 'string') throw new TypeError(`${where}: tags[${i}] must be a string, got ${typeof tags[i]}`)
  }
}
