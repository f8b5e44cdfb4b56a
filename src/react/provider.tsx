import { useMemo, type ReactNode } from 'react'
import type { Cache } from '../core/types'
import { CacheContext } from './context'

export interface CacheProviderProps {
  cache: Cache
  /** Default segment for `useCachedQuery` and optimistic updates below. */
  segment?: string | undefined
  children?: ReactNode | undefined
}

/** Makes a cache (and a default segment) available to the hooks below it. */
export function CacheProvider({ cache, segment, children }: CacheProviderProps) {
  const value = useMemo(() => ({ cache, segment }), [cache, segment])
  return <CacheContext.Provider value={value}>{children}</CacheContext.Provider>
}
