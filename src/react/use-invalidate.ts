import { useCallback } from 'react'
import type { InvalidateOptions, InvalidationTarget } from '../core/types'
import { useCacheContext } from './use-cache'

export type Invalidate = (target?: InvalidationTarget, options?: InvalidateOptions) => Promise<number>

/**
 * A stable function that invalidates the provider's cache. It does not add
 * the provider's segment: a target without `segment` hits every segment (an
 * invalidation is about the data, which every segment may have cached).
 */
export function useInvalidate(): Invalidate {
  const { cache } = useCacheContext('useInvalidate')
  return useCallback((target, options) => cache.invalidate(target, options), [cache])
}
