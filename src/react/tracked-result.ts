import type { Cache, Entry, QueryStatus } from '../core/types'
import { observe, type ObserverOptions, type QueryObserver } from '../core/observer'

/**
 * What `useCachedQuery` returns. Reading a field subscribes the component to
 * it; read fields by name or destructure them (they are getters, so
 * `{ ...result }` copies none). Checking `status` narrows `data` and `error`:
 * `'success'` has data, unless the answer itself was `undefined` (as
 * `fetchJson`'s is for a 204, a 205 or an empty body).
 */
export type UseCachedQueryResult<T, S = T> = QueryResultFields<T> &
  (
    | { readonly status: 'success'; readonly data: S; readonly error: undefined }
    /** The last good data stays while the error stands. */
    | { readonly status: 'error'; readonly data: S | undefined; readonly error: Error }
    /** Until the entry has data; `data` is the placeholder while `placeholderData` shows. */
    | { readonly status: 'pending'; readonly data: S | undefined; readonly error: undefined }
  )

/** The fields of a query result that do not depend on its status. */
export interface QueryResultFields<T> {
  readonly isFetching: boolean
  readonly isStale: boolean
  /** Clock time of the last success, 0 if none. */
  readonly updatedAt: number
  /** Fetch now, even when fresh (joins a fetch in flight). A stable function. */
  refetch(): Promise<T>
}

/** The plain values of one result; a new object only when one of them changes. */
interface QueryState<S> {
  data: S | undefined
  error: Error | undefined
  status: QueryStatus
  isFetching: boolean
  isStale: boolean
  updatedAt: number
}

/** The state of a query with no entry yet, no select and no placeholder: shared by every such hook. */
const NO_ENTRY: QueryState<never> = /* @__PURE__ */ Object.freeze({
  data: undefined,
  error: undefined,
  status: 'pending',
  isFetching: false,
  // No data yet counts as stale, as in TanStack Query.
  isStale: true,
  updatedAt: 0,
})

// The fields a component can read; a field's bit in `tracked` is 1 << its index.
const FIELDS = ['data', 'error', 'status', 'isFetching', 'isStale', 'updatedAt'] as const
type Field = (typeof FIELDS)[number]

/**
 * The bridge between one observer and `useSyncExternalStore`, one per hook
 * instance. React bails out of a render when `getSnapshot` returns the same
 * reference, so the snapshot handed to React changes only when a field the
 * component has read differs from what it last rendered: a component that
 * reads `data` alone is not re-rendered when `isFetching` flips. A render
 * reads `latestState`, the newest state, so a field read for the first time is
 * never out of date.
 */
export class QueryStore<T, S> {
  /** Set on every render, before `useSyncExternalStore` reads the snapshot. */
  renderSelect: ((data: T) => S) | undefined
  renderPlaceholder: T | undefined

  /** Fields read through any result this store handed out (they accumulate). */
  private tracked = 0
  /** `latestState` was derived from this entry, select function and placeholder. */
  private derivedEntry: Entry<T> | undefined
  private derivedSelect: ((data: T) => S) | undefined
  private derivedPlaceholder: T | undefined
  /** Newest state. */
  private latestState: QueryState<S> | undefined
  /** What `getSnapshot` last returned, so what React holds. */
  private returned: QueryState<S> | undefined
  /** The state the last render read. */
  private rendered: QueryState<S> | undefined
  private result: InstanceType<typeof TrackedResult<T, S>> | undefined
  // `select` runs again only when the data or the function changes.
  private selectedFrom: { raw: T; select: (data: T) => S; selected: S } | undefined

  // Fields assigned in the constructor, not parameter properties: esbuild's
  // property mangling misses a parameter property's field (evanw/esbuild#4528).
  declare readonly observer: QueryObserver<T>
  /** The cache the observer belongs to (the hook makes a new store for a new cache). */
  declare readonly storeCache: Cache
  private boundRefetch: (() => Promise<T>) | undefined

  constructor(cache: Cache, options: ObserverOptions<T>) {
    this.storeCache = cache
    this.observer = observe(cache, options)
  }

  // Arrow properties: stable identities for useSyncExternalStore.
  readonly subscribe = (listener: () => void): (() => void) =>
    this.observer.subscribe(() => {
      // A render moved to a key React has not committed (a transition that
      // suspends): a change of the committed key must still re-render, though
      // the moved-to key's state may look the same. A new object makes React
      // render the committed key again, which reads its own state.
      if (this.observer.moving) this.returned = { ...(this.returned ?? this.latestState!) }
      listener()
    })

  /** A stable function for users, made the first time a component reads it (most never do). */
  get refetch(): () => Promise<T> {
    return (this.boundRefetch ??= () => this.observer.refetch())
  }

  readonly getSnapshot = (): QueryState<S> => {
    const entry = this.observer.getSnapshot()
    let current = this.latestState
    if (
      current === undefined ||
      entry !== this.derivedEntry ||
      this.renderSelect !== this.derivedSelect ||
      this.renderPlaceholder !== this.derivedPlaceholder
    ) {
      // Derived first: a `select` that throws must leave the memo as it was,
      // or React's retry of the render would show the old state without error.
      current = this.derive(entry)
      this.derivedEntry = entry
      this.derivedSelect = this.renderSelect
      this.derivedPlaceholder = this.renderPlaceholder
      this.latestState = current
    }
    const rendered = this.rendered
    if (this.returned !== current && (rendered === undefined || this.differs(rendered, current))) {
      this.returned = current
    }
    return this.returned ?? current
  }

  /** The object a render returns: the newest state, recording what is read. */
  read(): UseCachedQueryResult<T, S> {
    // useSyncExternalStore has called getSnapshot by now, which set `latestState`.
    const state = this.latestState!
    this.rendered = state
    if (this.result === undefined || this.result.readState !== state) this.result = new TrackedResult(this, state)
    // The state's status, data and error always agree (see QueryEntry.status).
    return this.result as unknown as UseCachedQueryResult<T, S>
  }

  /** Called by the result's getters. */
  markRead(field: Field): void {
    this.tracked |= 1 << FIELDS.indexOf(field)
  }

  private differs(a: QueryState<S>, b: QueryState<S>): boolean {
    // A loop, not FIELDS.some(): no closure per call (this runs on every notification).
    for (let bit = 0; bit < FIELDS.length; bit++) {
      if (this.tracked & (1 << bit) && !Object.is(a[FIELDS[bit]!], b[FIELDS[bit]!])) return true
    }
    return false
  }

  private derive(entry: Entry<T> | undefined): QueryState<S> {
    // No entry yet: NO_ENTRY's fields (pending, no data, not fetching, stale, never updated).
    const from: QueryState<T> = entry ?? NO_ENTRY
    // The placeholder (if any) shows while the query is pending without data.
    const waiting = from.status === 'pending' && from.data === undefined
    const raw = waiting ? this.renderPlaceholder : from.data
    // Nothing to select, or the data as it is: the entry's own immutable
    // snapshot (or NO_ENTRY) already holds the six fields. Reusing it saves an
    // object per component per update, which is most of a fan-out's cost.
    if (raw === undefined || (this.renderSelect === undefined && !waiting)) return from as unknown as QueryState<S>
    return {
      data: this.applySelect(raw),
      error: from.error,
      // The placeholder never counts as data: `status` stays 'pending'.
      status: from.status,
      isFetching: from.isFetching,
      isStale: from.isStale,
      updatedAt: from.updatedAt,
    }
  }

  private applySelect(raw: T): S {
    const select = this.renderSelect
    // Without `select`, S is T (the hook's signature ties them together).
    if (select === undefined) return raw as unknown as S
    const memo = this.selectedFrom
    if (memo !== undefined && memo.raw === raw && memo.select === select) return memo.selected
    const selected = select(raw)
    this.selectedFrom = { raw, select, selected }
    return selected
  }
}

/**
 * A result whose getters record what the component reads. Getters on the
 * prototype, not own ones: an object literal with accessors is built through
 * a slow runtime path, which measured ~2x a bare useSyncExternalStore per
 * update against ~1.1x for this class (test/react/perf/hook-overhead.tsx).
 * Read fields by name or destructure them; `{ ...result }` copies none.
 * The getters of the six FIELDS are added by `withFieldGetters`.
 */
const TrackedResult = /* @__PURE__ */ withFieldGetters(
  class TrackedResult<T, S> {
    declare private readonly ownerStore: QueryStore<T, S>
    declare readonly readState: QueryState<S>

    constructor(store: QueryStore<T, S>, state: QueryState<S>) {
      this.ownerStore = store
      this.readState = state
    }

    /** The store's bound function (stable). It rejects when the fetch fails: a handler catches it (docs/API.md). */
    get refetch(): () => Promise<T> {
      return this.ownerStore.refetch
    }

    track<F extends Field>(field: F): QueryState<S>[F] {
      this.ownerStore.markRead(field)
      return this.readState[field]
    }
  },
)

/**
 * Adds a getter per field of FIELDS to the class's prototype: reading it
 * calls `track(field)`. One loop instead of six getters written out; a
 * function (called as pure) so that a bundle without the hook drops it all.
 */
function withFieldGetters<C extends { prototype: { track(field: Field): unknown } }>(result: C): C {
  for (const field of FIELDS) {
    Object.defineProperty(result.prototype, field, {
      get(this: { track(field: Field): unknown }) {
        return this.track(field)
      },
    })
  }
  return result
}
