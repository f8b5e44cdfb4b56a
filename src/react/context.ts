import { createContext } from 'react'
import type { Cache } from '../core/types'

export interface CacheContextValue {
  cache: Cache
  /** Default segment for the hooks below the provider. */
  segment: string | undefined
}

export const CacheContext = /* @__PURE__ */ createContext<CacheContextValue | null>(null)
