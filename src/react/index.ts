// The React layer: a provider and one small hook per file over the core's observer.
export { CacheProvider, type CacheProviderProps } from './provider'
export { useCache } from './use-cache'
export {
  useCachedQuery,
  type QueryHookOptions,
  type UseCachedQueryOptions,
  type UseCachedQueryResult,
} from './use-cached-query'
export { useInvalidate, type Invalidate } from './use-invalidate'
export {
  useMutation,
  type MutationStatus,
  type UseMutationOptions,
  type UseMutationResult,
} from './use-mutation'
export { useInvalidationStream } from './use-invalidation-stream'
