import type { CacheCore } from './cache-core'
import type { Attached, QueryEntry } from './entry'
import { away } from './environment'
import { internalsOf } from './internals'
import { entryId, hashKey, sameElements, type HashedKey } from './key'
import { checkQueryOptions } from './options'
import { after, noop, type Cancel } from './scheduler'
import type { Cache, Entry, QueryOptions } from './types'

/** What one observer (one mounted hook) asks of an entry. */
export interface ObserverOptions<T> extends QueryOptions<T> {
  /** Default true. A disabled observer never fetches and is not refetched by invalidations. */
  enabled?: boolean | undefined
  /** ms between background refetches while observed. */
  refetchInterval?: number | undefined
  /** Override the cache's refetchOnFocus for this observer. */
  refetchOnFocus?: boolean | undefined
  /** Override the cache's refetchOnReconnect for this observer. */
  refetchOnReconnect?: boolean | undefined
}

/**
 * One subscriber's view of one entry; the React layer wraps it in
 * useSyncExternalStore. Listeners are called in batches: every observer whose
 * entry changed in the same tick is notified in one synchronous loop, so React
 * commits them together. The methods are plain, not bound (call them on the
 * observer): one is made per mounted hook, and the hook's store holds the two
 * stable functions React needs.
 */
export interface QueryObserver<T> {
  /**
   * Take the options a render shows (a new key, segment, enabled …). It never
   * attaches, fetches or notifies, so a render React discards leaves the
   * shown key observed; `getSnapshot` shows the new key's entry at once, and
   * `sync` moves to it. For the same entry, the latest fetcher, times and
   * tags apply at once; `enabled` and the focus and reconnect overrides at `sync`.
   */
  setOptions(options: ObserverOptions<T>): void
  /**
   * Follow the options (call at commit): attach to a new key's entry and
   * fetch it, fetch when enabled again, restart the refetch interval. Given
   * the committed render's options, take them first: a subtree `<Activity>`
   * shows again re-runs the commit before `subscribe`, and the last render may
   * be one React holds.
   */
  sync(options?: ObserverOptions<T>): void
  /** The entry the options name (key hash and segment): a commit needs `sync` when it changed. */
  readonly watched: string
  /** The options name another entry than the one it is attached to (a render React has not committed). */
  readonly moving: boolean
  /**
   * Attach: the observer counts as one of the entry's observers and fetches when
   * enabled and the entry is missing or stale. Returns detach.
   */
  subscribe(listener: () => void): () => void
  /** The entry for the current options; the same reference until it changes. */
  getSnapshot(): Entry<T> | undefined
  /** Fetch now, even when fresh (joins a fetch in flight); while `moving`, the attached (shown) entry. */
  refetch(): Promise<T>
}

/** Creates an observer of `cache` for the given options (the React layer makes one per hook). */
export function observe<T>(cache: Cache, options: ObserverOptions<T>): QueryObserver<T> {
  return new Observer(internalsOf(cache), options)
}

class Observer<T> implements QueryObserver<T>, Attached {
  declare private options: ObserverOptions<T>
  declare private hashed: HashedKey
  /** The id of the entry the options name. */
  declare watched: string
  private readEntry: QueryEntry | undefined
  private listener: (() => void) | null = null
  private attachedTo: QueryEntry | null = null
  private stopInterval: Cancel | null = null
  private intervalMs: number | undefined
  /** The entry this observer's mount was counted for in stats(). */
  private counted: QueryEntry | null = null
  /**
   * The options of the last commit (subscribe or sync). `enabled` and the focus
   * and reconnect overrides are read from them: a render React has not committed
   * (a held transition) changes what the shown query does no more than its key does.
   */
  declare shown: ObserverOptions<T>
  // Not a parameter property: esbuild's property mangling misses a parameter
  // property's field declaration (evanw/esbuild#4528).
  declare private readonly core: CacheCore

  constructor(core: CacheCore, options: ObserverOptions<T>) {
    checkQueryOptions(options as QueryOptions<unknown>, 'useCachedQuery')
    this.core = core
    this.options = this.shown = options
    this.hashed = hashKey(options.key)
    this.watched = entryId(this.hashed.hash, options.segment)
  }

  get enabled(): boolean {
    return this.shown.enabled !== false
  }

  notify(): void {
    if (this.listener) this.core.batch.add(this.listener)
  }

  setOptions(options: ObserverOptions<T>): void {
    const previous = this.options
    if (options === previous) return
    // Every render's options, as the first render's: one that keeps the key may
    // still bring a NaN staleTime (fresh for ever) or a string of tags.
    checkQueryOptions(options as QueryOptions<unknown>, 'useCachedQuery')
    // Renders pass a new key array each time: skip hashing an element-wise identical one.
    if (options.segment !== previous.segment || !sameElements(options.key, previous.key)) {
      const hashed = hashKey(options.key)
      const id = entryId(hashed.hash, options.segment)
      if (id !== this.watched) {
        this.hashed = hashed
        this.watched = id
        this.readEntry = undefined
      }
    }
    this.options = options
    // The same entry: the latest fetcher, times and tags reach it now (no
    // fetch, no notification), so a commit need not sync for them.
    const entry = this.attachedTo
    if (entry?.id === this.watched) entry.applyOptions(options as QueryOptions<unknown>, true)
  }

  get moving(): boolean {
    return this.attachedTo?.id !== this.watched
  }

  sync(options: ObserverOptions<T> = this.options): void {
    this.setOptions(options)
    if (!this.listener) return
    // A flip to enabled fetches.
    const was = this.enabled
    this.shown = this.options
    // A new key while mounted: leave the old entry (its fetch may be aborted
    // if nobody else waits) and never show its data for this key.
    if (this.moving) this.attach()
    else if (this.enabled && !was) this.mount()
    if (this.options.refetchInterval !== this.intervalMs) this.startInterval()
    // A render's staleTime is applied here, at commit (see QueryEntry.applyOptions).
    this.core.staleTimeChanged(this.attachedTo!)
  }

  renew(): void {
    // The shown query's (the removed entry's), not a render's React has not committed.
    this.attach(this.core.liveEntry(this.attachedTo!))
  }

  getSnapshot(): Entry<T> | undefined {
    let entry = this.readEntry
    if (!entry || entry.removed) entry = this.readEntry = this.core.entries.get(this.watched)
    return entry?.snapshot as Entry<T> | undefined
  }

  subscribe(listener: () => void): () => void {
    this.listener = listener
    this.shown = this.options
    this.attach()
    return () => {
      if (this.listener === listener) this.listener = null
      this.core.batch.delete(listener)
      this.stopInterval?.()
      this.stopInterval = null
      this.intervalMs = undefined
      if (this.attachedTo) this.core.detach(this.attachedTo, this)
      this.attachedTo = null
      // Not subscribed again in the same tick (as StrictMode does): a real unmount
      // (<Activity> hiding the subtree), so subscribing later is a new mount.
      queueMicrotask(() => {
        if (!this.listener) this.counted = null
      })
    }
  }

  refetch(): Promise<T> {
    // While moving (a render React has not committed), the shown key's: its entry's query.
    const entry = this.attachedTo
    return this.core.fetchQuery(entry && entry.id !== this.watched ? entry.query! : this.options, true, 'refetch') as Promise<T>
  }

  /** Attach to `entry` (by default the one the options name) and mount. */
  private attach(entry = this.core.ensureForQuery(this.options as QueryOptions<unknown>, this.hashed)): void {
    if (this.attachedTo !== entry) {
      // The new entry first: the cache then never has no mounted query in between,
      // so a key change does not remove and re-add its window listeners.
      this.core.attach(entry, this)
      if (this.attachedTo) this.core.detach(this.attachedTo, this)
      this.attachedTo = entry
    }
    this.mount()
  }

  /** A mount asks for data: fresh from the cache (a hit), a fetch in flight (deduped), or a new fetch. */
  private mount(): void {
    const entry = this.attachedTo
    if (!entry || !this.enabled) return
    // StrictMode subscribes the same observer twice: one mount, counted once.
    const first = this.counted !== entry
    this.counted = entry
    // The interval counts from here (a new key, enabled again), as TanStack Query's does.
    this.startInterval()
    if (this.core.answer(entry, false, first) === 'miss') this.core.startFetch(entry)
  }

  private startInterval(): void {
    this.stopInterval?.()
    this.stopInterval = null
    const ms = this.options.refetchInterval
    this.intervalMs = ms
    if (!ms || ms <= 0 || ms === Infinity || !this.listener) return
    const tick = () => {
      const entry = this.attachedTo
      // Not while the page is hidden (a background tab) or offline, as TanStack Query and
      // SWR do by default: coming back, the focus or reconnect refetch brings it up to date.
      if (entry && this.enabled && !entry.flight && !away()) this.core.startFetch(entry).promise.catch(noop)
      this.stopInterval = after(ms, tick)
    }
    this.stopInterval = after(ms, tick)
  }
}
