import type { EntryPatch } from './entry-state'
import type { Indexable, InvalidationIndex } from './invalidation-index'
import { keyFromHash, type HashedKey } from './key'
import { ORIGIN, small, type Cancel } from './scheduler'
import { keepTags, sameTags, tagList, type KeptTags } from './tags'
import type { Entry, QueryKey, QueryOptions, QueryStatus } from './types'

const NO_CHANGE: EntryPatch = {}

/** What an entry needs from the cache that holds it. */
export interface EntryHost {
  now(): number
  readonly options: { readonly staleTime: number }
  /** `since` (the entry's sinceOrigin) and `isStale` are what they were before the change. */
  changed(entry: QueryEntry, since: number | undefined, isStale: boolean): void
  staleTimeChanged(entry: QueryEntry): void
  readonly index: InvalidationIndex<QueryEntry>
}

export interface Deferred {
  promise: Promise<void>
  resolve: () => void
}

/** A flight's promise until its fetch has started (shared: no promise per fetch for it). */
const STARTING: Promise<unknown> = /* @__PURE__ */ Promise.resolve()

/** One fetch in flight for an entry. */
export class Flight {
  promise: Promise<unknown> = STARTING
  /** A `cache.fetch()` or `refetch()` caller awaits it: never abort it. */
  hasCaller = false
  /** An invalidation hit the entry while this fetch ran: its result is not fresh. */
  invalidated = false
  /** A later set, remove or fetch wrote over what this fetch would: its result is dropped. */
  superseded = false
  /** Settles when the one follow-up fetch owed to those invalidations settles. */
  followUp: Deferred | null = null
  /** Settles when this fetch is over for the cache: landed or failed, aborted, or replaced by one that is over. */
  declare over: Deferred | null | undefined
  isAborted = false
  /** The model version its fetcher was called with; null until it is called. */
  startedWith: string | undefined | null = null
  private abortReason: unknown
  // Made only when someone reads the signal (most fetchers never do): an
  // AbortController per fetch is the largest allocation of a fetch.
  private controller: AbortController | null = null

  /**
   * The fetch's result, also for a caller who joins while it is starting:
   * a cache event listener or the fetcher itself may ask for the same key
   * before startFetch has the fetch's promise.
   */
  get joinable(): Promise<unknown> {
    return this.promise === STARTING ? STARTING.then(() => this.promise) : this.promise
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.isAborted) this.controller.abort(this.abortReason)
    }
    return this.controller.signal
  }

  stop(reason: unknown): void {
    if (this.isAborted) return
    this.isAborted = true
    this.abortReason = reason
    this.controller?.abort(reason)
  }

  /** Throws the abort reason if this fetch was aborted. */
  rethrowAbort(): void {
    if (this.isAborted) throw this.abortReason
  }
}

/** Something attached to an entry: an observer (a mounted hook). */
export interface Attached {
  readonly enabled: boolean
  /** The options of its last commit: whether focus and reconnect refetch it. */
  readonly shown: { readonly refetchOnFocus?: boolean | undefined; readonly refetchOnReconnect?: boolean | undefined }
  notify(): void
  /** Its entry was removed (clear): attach to a new one for the query it shows, and fetch it if enabled. */
  renew(): void
}


/**
 * One cached query: its state and what is attached to it. The state lives in
 * the entry's own fields; the immutable `Entry` snapshot is built when someone
 * reads it and kept until the next change, so readers (useSyncExternalStore)
 * get the same object until something changes, and an entry nobody reads
 * carries no snapshot.
 */
export class QueryEntry implements Indexable {
  // Fields the constructor assigns are `declare`d: a class field declaration
  // would be emitted only to be overwritten (bytes in every bundle). `host`
  // is not a parameter property: with its name shortened at build time,
  // esbuild would leave a stray, always-undefined `host` slot on every entry
  // (esbuild#4528).
  declare private readonly host: EntryHost
  declare readonly id: string
  declare readonly segment: string | undefined
  /** What the entry depends on: the snapshot's and the index's tags. */
  declare tags: KeptTags

  // The state a snapshot shows. A field with no initializer is still defined
  // (as undefined) by the class; `= undefined` would only add bytes.
  data: unknown
  error: Error | undefined
  isStale = true
  /** Forced stale by an invalidation until a fetch that started after it succeeds. */
  invalidated = false
  removed = false
  /**
   * updatedAt counted from ORIGIN (a small integer stored inline); undefined:
   * never. Internal code compares this, not `updatedAt`, which is rebuilt as
   * a large number each time it is read.
   */
  sinceOrigin: number | undefined
  etag: string | undefined
  /** The model that produced the data (the query's `model` is the one it names now). */
  declare model: string | undefined
  modelVersion: string | undefined
  /** When the gc queue may remove it (its clock); undefined when not scheduled. */
  gcDue: number | undefined

  // Fields most entries never get: they are declared, not initialized, so an
  // entry that is only `set` and never read carries no slot for them (V8
  // adds a property when it is first assigned; a slot is 8 bytes per entry).
  /** The snapshot built since the last change, if anyone read it. */
  private declare published: Entry<unknown> | undefined
  /** The key array, kept only when its hash cannot give it back (HashedKey.lossy). */
  private declare keptKey: QueryKey | undefined
  /** The latest query options (fetcher, schema, times); undefined for an entry only ever `set`. */
  declare query: QueryOptions<unknown> | undefined
  declare flight: Flight | null | undefined
  declare observers: Attached[] | undefined
  declare staleTimer: Cancel | null | undefined

  constructor(
    host: EntryHost,
    id: string,
    hashed: HashedKey,
    key: QueryKey,
    segment: string | undefined,
    tags: readonly string[] | undefined,
    model: string | undefined,
  ) {
    this.host = host
    this.id = id
    if (hashed.lossy) this.keptKey = key
    this.segment = segment
    this.tags = keepTags(tags)
    this.model = model
  }

  /**
   * The key: the latest query's array when there is one (a fetcher sees the
   * array it was given), else rebuilt from the hash, so an entry does not
   * hold a key array of its own.
   */
  get key(): QueryKey {
    return this.keptKey ?? this.query?.key ?? keyFromHash(this.hash)
  }

  /** The immutable public view of the state. */
  get snapshot(): Entry<unknown> {
    return (this.published ??= {
      key: this.key,
      segment: this.segment,
      tags: tagList(this.tags),
      data: this.data,
      error: this.error,
      status: this.status,
      isFetching: this.isFetching,
      isStale: this.isStale,
      updatedAt: this.updatedAt,
      etag: this.etag,
      model: this.model,
      modelVersion: this.modelVersion,
    })
  }

  /**
   * Takes the latest query options: the fetcher, times, and what the entry
   * depends on. A render's (`rendering`) new staleTime restamps nothing: two
   * hooks on one entry with different staleTimes would re-render each other
   * for ever. Its observer applies it when React commits (Observer.sync).
   */
  applyOptions(options: QueryOptions<unknown>, rendering?: boolean): void {
    const staleTime = this.query?.staleTime
    const model = this.query ? this.query.model : this.model
    this.query = options
    if (options.staleTime !== staleTime && !rendering) this.host.staleTimeChanged(this)
    if (options.tags !== undefined) this.applyTags(options.tags)
    // Until it has data, the entry names the model its query names (data kept
    // under an error is still its producer's).
    if (options.model !== model && this.sinceOrigin === undefined) this.silently({ model: options.model })
  }

  /** What the entry depends on; re-indexed without notifying observers. */
  applyTags(tags: readonly string[]): void {
    if (sameTags(tags, this.tags)) return
    this.host.index.setTags(this, keepTags(tags))
    this.silently(NO_CHANGE)
  }

  /** The key's hash: the id up to the NUL before its segment (a hash never holds a NUL). */
  get hash(): string {
    const end = this.id.indexOf('\u0000')
    return end === -1 ? this.id : this.id.slice(0, end)
  }

  /**
   * Holds answers of `model`: its data's producer (the snapshot's `model`; a
   * pending entry's is its query's), or a fetch in flight under it will land
   * one. Not the query's model alone: data `set` without a model names none, and
   * a query that stops naming a model leaves the model's answer cached.
   */
  ofModel(model: string): boolean {
    return this.model === model || (!!this.flight && this.query?.model === model)
  }

  get hasObservers(): boolean {
    return !!this.observers?.length
  }

  /** Has an enabled observer: invalidations and focus refetch it now. */
  get isActive(): boolean {
    if (!this.observers) return false
    for (const observer of this.observers) if (observer.enabled) return true
    return false
  }

  computeStale(): boolean {
    const since = this.sinceOrigin
    if (this.invalidated || since === undefined) return true
    const staleTime = this.query?.staleTime ?? this.host.options.staleTime
    return this.host.now() - ORIGIN - since >= staleTime
  }

  /** 'error' while the last fetch's error stands, 'success' once there is data, else 'pending'. */
  get status(): QueryStatus {
    return this.error ? 'error' : this.sinceOrigin !== undefined ? 'success' : 'pending'
  }

  /** Clock time of the last success, 0 if none. */
  get updatedAt(): number {
    return this.sinceOrigin === undefined ? 0 : this.sinceOrigin + ORIGIN
  }

  set updatedAt(time: number) {
    this.sinceOrigin = small(time - ORIGIN)
  }

  /** A fetch is in flight: derived from the flight itself, so the two never disagree. */
  get isFetching(): boolean {
    return !!this.flight
  }

  /** Applies a change (none: only `flight` changed) and tells the cache. */
  dispatch(patch: EntryPatch = NO_CHANGE): void {
    const { sinceOrigin, isStale } = this
    this.silently(patch)
    this.isStale = this.computeStale()
    this.host.changed(this, sinceOrigin, isStale)
  }

  /**
   * Recomputes `isStale` (time passed, or an invalidation); notifies only on
   * a flip. An invalidation passes `true`: it already knows the answer.
   */
  restamp(isStale = this.computeStale()): void {
    if (isStale === this.isStale) return
    // Not through silently(): an invalidation restamps thousands of entries in one call.
    this.isStale = isStale
    if (this.published) this.published = undefined
    this.host.changed(this, this.sinceOrigin, !isStale)
  }

  /** A change no observer needs to hear about (what the entry depends on). */
  private silently(patch: EntryPatch): void {
    Object.assign(this, patch)
    if (this.published) this.published = undefined
  }
}
