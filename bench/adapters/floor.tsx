import { useCallback, useEffect, useSyncExternalStore, type ReactNode } from 'react'
import { matchesTarget } from './match'
import type { Adapter, Fetch, Harness, Invalidation, ModelChange, Query } from './types'

/**
 * The floor: the least a React app can do to show fetched data. A Map of
 * values, one listener set per key, useSyncExternalStore. No staleness, no
 * dedup (every mounting component whose value is missing fetches it), no
 * invalidation index (a linear scan). It bounds from below what any cache
 * can cost in React, so cachet's times are judged against it.
 */
interface Row {
  query: Query
  data: unknown
  fetch: Fetch<unknown> | undefined
}

class FloorStore {
  readonly rows = new Map<string, Row>()
  private readonly listeners = new Map<string, Set<() => void>>()
  /** Batched variant only: listeners to call on the next macrotask, all in one loop. */
  private pending: Set<() => void> | undefined

  constructor(batched: boolean) {
    if (batched) this.pending = new Set()
  }

  subscribe(id: string, listener: () => void): () => void {
    let set = this.listeners.get(id)
    if (!set) this.listeners.set(id, (set = new Set()))
    set.add(listener)
    return () => {
      set.delete(listener)
      if (set.size === 0) this.listeners.delete(id)
    }
  }

  get(id: string): unknown {
    return this.rows.get(id)?.data
  }

  write(id: string, query: Query, data: unknown, fetch?: Fetch<unknown>): void {
    const row = this.rows.get(id)
    this.rows.set(id, { query, data, fetch: fetch ?? row?.fetch })
    const set = this.listeners.get(id)
    if (!set) return
    const pending = this.pending
    if (!pending) {
      for (const listener of [...set]) listener()
      return
    }
    if (pending.size === 0) {
      setImmediate(() => {
        const due = [...pending]
        pending.clear()
        for (const listener of due) listener()
      })
    }
    for (const listener of set) pending.add(listener)
  }

  /** A mounted component tells the store how to refetch its row (prefilled rows have no fetcher). */
  remember(id: string, query: Query, fetch: Fetch<unknown>): void {
    const row = this.rows.get(id)
    if (row) row.fetch = fetch
    else this.rows.set(id, { query, data: undefined, fetch })
  }

  async load(id: string, query: Query, fetch: Fetch<unknown>): Promise<void> {
    this.write(id, query, await fetch(query), fetch)
  }

  isObserved(id: string): boolean {
    return this.listeners.has(id)
  }
}

const idOf = (query: Query) => JSON.stringify([query.key, query.segment ?? null])

function createFloor(batched: boolean): Harness {
  const store = new FloorStore(batched)

  function invalidate({ target, mode }: Invalidation): Promise<unknown> {
    const refetches: Promise<void>[] = []
    for (const [id, row] of [...store.rows]) {
      const entry = {
        key: row.query.key,
        segment: row.query.segment,
        tags: row.query.tags ?? [],
        model: row.query.model,
      }
      if (!matchesTarget(target, entry)) continue
      if (store.isObserved(id) && row.fetch) {
        if (mode === 'remove') store.write(id, row.query, undefined)
        refetches.push(store.load(id, row.query, row.fetch))
      } else {
        store.rows.delete(id) // refetched by the next component that mounts it
      }
    }
    return Promise.all(refetches)
  }

  return {
    Root: ({ children }: { children?: ReactNode }) => <>{children}</>,
    useData<T>(query: Query, fetch: Fetch<T>): T | undefined {
      const id = idOf(query)
      const subscribe = useCallback((listener: () => void) => store.subscribe(id, listener), [id])
      const data = useSyncExternalStore(subscribe, () => store.get(id) as T | undefined)
      useEffect(() => {
        if (store.get(id) === undefined) void store.load(id, query, fetch as Fetch<unknown>)
        else store.remember(id, query, fetch as Fetch<unknown>)
        // The query is identified by its id; a new object with the same id is the same query.
        // eslint-disable-next-line react-hooks/exhaustive-deps
      }, [id])
      return data
    },
    invalidate,
    set: (query, data) => store.write(idOf(query), query, data),
    prefill(entries) {
      for (const { query, data } of entries) store.rows.set(idOf(query), { query, data, fetch: undefined })
    },
    setModelVersion({ model, policy }: ModelChange) {
      if (policy === 'lazy') return Promise.resolve()
      return invalidate({ target: { model }, byKey: () => false })
    },
    size: () => store.rows.size,
    dispose: () => store.rows.clear(),
  }
}

export const floorAdapter: Adapter = { name: 'floor', create: () => createFloor(false) }

/**
 * Not in the main table: the floor with cachet's batching (every listener
 * whose row changed is called in one loop on the next macrotask, so React
 * commits them together). `npm run bench:profile` sets it against cachet in
 * many-keys, where the floor's one commit per key would hide what batching
 * alone is worth.
 */
export const floorBatchedAdapter: Adapter = { name: 'floor-batched', create: () => createFloor(true) }
