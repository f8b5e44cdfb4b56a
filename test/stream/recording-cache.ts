import { vi } from 'vitest'
import type { Cache, CacheEvent, InvalidateOptions, InvalidationTarget, ModelVersionPolicy, QueryKey, SetOptions } from '../../src/core/types'

/**
 * A Cache whose methods only record their calls, for checking exactly which
 * calls a message turns into. `emit` plays a cache event to subscribers.
 */
export function recordingCache() {
  const listeners = new Set<(event: CacheEvent) => void>()
  const cache = {
    fetch: vi.fn(async () => undefined as never),
    get: vi.fn(() => undefined),
    set: vi.fn((_key: QueryKey, _data: unknown, _options?: SetOptions) => {}),
    invalidate: vi.fn(async (_target?: InvalidationTarget, _options?: InvalidateOptions) => 0),
    setModelVersion: vi.fn((_model: string, _version: string, _options?: { policy?: ModelVersionPolicy }) => {}),
    subscribe: vi.fn((listener: (event: CacheEvent) => void) => {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    }),
    stats: vi.fn(() => ({ entries: 0, hits: 0, misses: 0, fetches: 0, deduped: 0, errors: 0, inFlight: 0, queued: 0 })),
    clear: vi.fn(),
  } satisfies Cache
  const emit = (event: CacheEvent) => {
    for (const listener of [...listeners]) listener(event)
  }
  return { cache, emit, listenerCount: () => listeners.size }
}
