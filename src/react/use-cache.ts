import { useContext } from 'react'
import type { Cache } from '../core/types'
import { CacheContext, type CacheContextValue } from './context'

const missingProvider =
  'useCache: no cache found. Wrap this component (or your app) in <CacheProvider cache={cache}>, made once by createCache().'

/** The provider's cache and default segment; throws outside a CacheProvider. */
export function useCacheContext(hook = 'useCache'): CacheContextValue {
  const value = useContext(CacheContext)
  if (!value) throw new Error(missingProvider.replace('useCache', hook))
  return value
}

/** The cache of the nearest CacheProvider. Throws a clear Error outside one. */
export function useCache(): Cache {
  return useCacheContext().cache
}
