import type { Entry, QueryKey } from './types'

// Every change to an entry is one of these actions; `reduce` turns the last
// snapshot into the next immutable one. Staleness is recomputed by the entry.

export type EntryAction =
  | { type: 'fetch-start' }
  | { type: 'fetch-success'; data: unknown; etag: string | undefined; model: string | undefined; modelVersion: string | undefined; at: number }
  | { type: 'not-modified'; at: number }
  | { type: 'fetch-error'; error: Error }
  | { type: 'fetch-end' }
  | { type: 'set'; data: unknown; etag: string | undefined; model: string | undefined; modelVersion: string | undefined; at: number }
  | { type: 'remove-data' }
  | { type: 'tags'; tags: readonly string[] }
  | { type: 'model'; model: string | undefined }

/** A snapshot while it is being built; published as the immutable `Entry`. */
type Draft = { -readonly [K in keyof Entry<unknown>]: Entry<unknown>[K] }

export function initialSnapshot(
  key: QueryKey,
  segment: string | undefined,
  tags: readonly string[],
  model: string | undefined,
): Entry<unknown> {
  return {
    key,
    segment,
    tags,
    data: undefined,
    error: undefined,
    status: 'pending',
    isFetching: false,
    isStale: true,
    updatedAt: 0,
    etag: undefined,
    model,
    modelVersion: undefined,
  }
}

/** The next snapshot; `isStale` is carried over for the entry to recompute. */
export function reduce(state: Entry<unknown>, action: EntryAction): Draft {
  switch (action.type) {
    case 'fetch-start':
      return { ...state, isFetching: true }
    case 'fetch-end':
      return { ...state, isFetching: false }
    case 'fetch-success':
    case 'set':
      return {
        ...state,
        data: action.data,
        error: undefined,
        status: 'success',
        isFetching: action.type === 'set' ? state.isFetching : false,
        updatedAt: action.at,
        etag: action.etag,
        model: action.model,
        modelVersion: action.modelVersion,
      }
    case 'not-modified':
      return { ...state, error: undefined, status: 'success', isFetching: false, updatedAt: action.at }
    case 'fetch-error':
      return { ...state, error: action.error, status: 'error', isFetching: false }
    case 'remove-data':
      return { ...state, data: undefined, error: undefined, status: 'pending', updatedAt: 0, etag: undefined, modelVersion: undefined }
    case 'tags':
      return { ...state, tags: action.tags }
    case 'model':
      return { ...state, model: action.model }
  }
}
