import { listenFocus, listenOnline } from './environment'
import { Flight, QueryEntry, type Attached, type Deferred, type EntryHost } from './entry'
import { succeeded, type EntryPatch } from './entry-state'
import { runFetch } from './fetch-run'
import { GcQueue } from './gc-queue'
import { InvalidationIndex } from './invalidation-index'
import { entryId, hashKey, type HashedKey } from './key'
import { matchTarget } from './match'
import { checkQueryOptions, checkSegment, checkTags, resolveCacheOptions, type ResolvedCacheOptions } from './options'
import { after, ConcurrencyGate, noop, NotifyBatch } from './scheduler'
import type {
  CacheEvent,
  CacheOptions,
  CacheStats,
  InvalidationMode,
  InvalidationTarget,
  ModelVersionPolicy,
  QueryKey,
  QueryOptions,
  SetOptions,
} from './types'

function deferred(): Deferred {
  let resolve = noop
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

function abortError(): Error {
  const error = new Error('cachet: fetch aborted: nobody waits')
  error.name = 'AbortError'
  return error
}

/** The engine behind one `Cache`: entries, indexes, fetches, timers, events. */
export class CacheCore implements EntryHost {
  declare readonly options: ResolvedCacheOptions
  readonly entries = new Map<string, QueryEntry>()
  readonly index = new InvalidationIndex<QueryEntry>()
  readonly modelVersions = new Map<string, string>()
  declare readonly gate: ConcurrencyGate
  readonly batch = new NotifyBatch()
  readonly counters = { hits: 0, misses: 0, fetches: 0, deduped: 0, errors: 0 }
  private readonly listeners = new Set<(event: CacheEvent) => void>()
  /**
   * The entry `set` is creating, between its creation and its first data: its
   * `added` event goes out with that data, and no `updated` before it (one
   * field on the cache instead of a flag on every entry).
   */
  private unannounced: QueryEntry | undefined
  private readonly active = new Set<QueryEntry>()
  private detachEnvironment: (() => void) | null = null
  private readonly gc = new GcQueue<QueryEntry>((entry) => {
    if (!entry.hasObservers && !entry.flight) this.remove(entry)
  })

  constructor(options?: CacheOptions) {
    this.options = resolveCacheOptions(options)
    this.gate = new ConcurrencyGate(this.options.maxConcurrentFetches)
    for (const [model, version] of Object.entries(options?.models ?? {})) this.modelVersions.set(model, version)
  }

  // ---- EntryHost --------------------------------------------------------

  now(): number {
    return this.options.now()
  }

  /** A new staleTime for an entry: its stale timer follows (observed entries have one). */
  staleTimeChanged(entry: QueryEntry): void {
    if (!entry.hasObservers) return
    entry.restamp()
    this.scheduleStaleFlip(entry)
  }

  changed(entry: QueryEntry, since: number | undefined, isStale: boolean): void {
    if (entry.observers) {
      for (const observer of entry.observers) observer.notify()
      // Only a new updatedAt or a flip moves the stale timer (not isFetching, data…).
      if (entry.sinceOrigin !== since || entry.isStale !== isStale) this.scheduleStaleFlip(entry)
    }
    // A removed entry is no longer the cache's: a fetch its caller still awaits lands on it unannounced.
    if (this.listeners.size > 0 && entry !== this.unannounced && !entry.removed) this.emit({ type: 'updated', entry: entry.snapshot })
  }

  // ---- entries ----------------------------------------------------------

  lookup(key: QueryKey, segment: string | undefined, where: string): QueryEntry | undefined {
    checkSegment(where, segment)
    return this.entries.get(entryId(hashKey(key).hash, segment))
  }

  /** The entry for (key, segment), created when missing. */
  ensure(
    key: QueryKey,
    hashed: HashedKey,
    segment: string | undefined,
    tags?: readonly string[],
    model?: string,
    announce = true,
  ): QueryEntry {
    const id = entryId(hashed.hash, segment)
    let entry = this.entries.get(id)
    if (!entry) {
      entry = new QueryEntry(this, id, hashed, key, segment, tags, model)
      this.entries.set(id, entry)
      this.index.add(entry)
      if (announce) this.announce(entry)
      else this.unannounced = entry
    }
    return entry
  }

  /** The `added` event: sent once, with the entry's first state worth showing. */
  private announce(entry: QueryEntry): void {
    this.unannounced = undefined
    if (this.listeners.size > 0) this.emit({ type: 'added', entry: entry.snapshot })
  }

  /** The entry in the cache now for a fetched entry's query: gc or clear() may have removed it while someone waited. */
  liveEntry(entry: QueryEntry): QueryEntry {
    return entry.removed ? this.ensureForQuery(entry.query!, hashKey(entry.key)) : entry
  }

  ensureForQuery(options: QueryOptions<unknown>, hashed: HashedKey): QueryEntry {
    const entry = this.ensure(options.key, hashed, options.segment, options.tags, options.model)
    entry.applyOptions(options)
    return entry
  }

  remove(entry: QueryEntry): void {
    if (entry.removed) return
    entry.removed = true
    this.entries.delete(entry.id)
    this.index.delete(entry)
    this.gc.cancel(entry)
    entry.staleTimer?.()
    entry.staleTimer = null
    const flight = entry.flight
    if (flight && !flight.hasCaller) this.abandon(entry, flight)
    if (this.listeners.size > 0) this.emit({ type: 'removed', entry: entry.snapshot })
  }

  scheduleGc(entry: QueryEntry): void {
    this.gc.cancel(entry)
    if (entry.removed || entry.hasObservers || entry.flight) return
    const gcTime = entry.query?.gcTime ?? this.options.gcTime
    if (gcTime !== Infinity) this.gc.schedule(entry, gcTime)
  }

  /** While observed, flip `isStale` when staleTime runs out, so a reader of `isStale` re-renders. */
  private scheduleStaleFlip(entry: QueryEntry): void {
    entry.staleTimer?.()
    entry.staleTimer = null
    if (entry.isStale || !entry.hasObservers) return
    const staleTime = entry.query?.staleTime ?? this.options.staleTime
    if (staleTime === Infinity) return
    const wait = entry.updatedAt + staleTime - this.now()
    entry.staleTimer = after(Math.max(0, wait), () => {
      entry.staleTimer = null
      entry.restamp()
      // Early by the clock (Node counts a timer from its loop turn's start): wait the rest.
      this.scheduleStaleFlip(entry)
    })
  }

  versionOf(model: string | undefined): string | undefined {
    return model === undefined ? undefined : this.modelVersions.get(model)
  }

  // ---- fetching ---------------------------------------------------------

  /** `cache.fetch` and `refetch()`: fresh data, or one deduped fetch that a caller awaits. */
  fetchQuery<T>(options: QueryOptions<T>, force: boolean, where: string): Promise<T> {
    checkQueryOptions(options as QueryOptions<unknown>, where)
    const hashed = hashKey(options.key)
    const entry = this.ensureForQuery(options as QueryOptions<unknown>, hashed)
    return this.fetchEntry(entry, force) as Promise<T>
  }

  /**
   * How one request (a `fetch()` call or a mount) is answered, counted in
   * stats() when `count`: fresh data from the cache (a hit), the fetch in
   * flight (a miss, deduped), or a new fetch (a miss).
   */
  answer(entry: QueryEntry, force: boolean, count: boolean): 'hit' | 'join' | 'miss' {
    entry.restamp()
    // Fresh data answers even while a background refetch runs (a refetchInterval
    // under staleTime), or after one failed: the caller need not wait for it, nor
    // fail with it. Fresh implies data (no success is stale).
    const how = !force && !entry.isStale ? 'hit' : entry.flight ? 'join' : 'miss'
    if (count) {
      if (how === 'hit') this.counters.hits++
      else this.counters.misses++
      if (how === 'join') this.counters.deduped++
    }
    return how
  }

  /** `count`: a new request (stats); false when a request asks again after waiting. */
  fetchEntry(entry: QueryEntry, force: boolean, count = true): Promise<unknown> {
    const how = this.answer(entry, force, count)
    if (how === 'hit') return Promise.resolve(entry.data)
    const flight = entry.flight
    if (how === 'join' && flight) {
      if (flight.invalidated || (flight.superseded && entry.status === 'success')) {
        // The fetch in flight started before an invalidation, or a set made
        // since will drop its answer for the set's data: it cannot satisfy
        // this caller (a refresh after a set asks the server again). Wait for
        // it, then ask again (the fetch made then is shared by everyone who
        // asks in the meantime). Not after a remove: that drop fetches anew.
        const again = () => this.fetchEntry(this.liveEntry(entry), force, false)
        return flight.joinable.then(again, again)
      }
      flight.hasCaller = true
      return flight.joinable
    }
    return this.startFetch(entry, false, true).promise
  }

  /**
   * `continuing`: it replaces a flight just landed, so `isFetching` never went
   * false. `hasCaller` is set before any user code (an event listener, the
   * fetcher) can see the flight: one that removes the entry must not abort it.
   */
  startFetch(entry: QueryEntry, continuing = false, hasCaller = false): Flight {
    const previous = this.supersede(entry)
    if (previous && !previous.hasCaller) previous.stop(abortError())
    this.gc.cancel(entry)
    const flight = new Flight()
    // The callers of a fetch this one supersedes are handed to it when theirs lands.
    flight.hasCaller = hasCaller || !!previous?.hasCaller
    flight.followUp = previous?.followUp ?? null
    flight.over = previous?.over
    entry.flight = flight
    if (!previous && !continuing) entry.dispatch()
    flight.promise = runFetch(this, entry, flight)
    flight.promise.catch(noop)
    return flight
  }

  /** A write the fetch in flight (returned) must not overwrite: its result will be dropped. */
  private supersede(entry: QueryEntry): Flight | null | undefined {
    const flight = entry.flight
    if (flight) flight.superseded = true
    return flight
  }

  isSuperseded(entry: QueryEntry, flight: Flight): boolean {
    return entry.removed || flight.superseded
  }

  /**
   *   fetch A starts ── set(key, x) / remove ── A lands
   * A's data is older than what the cache now holds: drop it. Its callers get
   * the newer data (or the newer fetch's).
   */
  landSuperseded(entry: QueryEntry, flight: Flight): unknown {
    const current = entry.flight
    if (current && current !== flight) {
      // Its callers now wait for the newer fetch: that one must not be aborted under them.
      if (flight.hasCaller) current.hasCaller = true
      return current.joinable
    }
    const own = current === flight
    if (own) entry.flight = null
    // A newer fetch already settled: its verdict stands.
    else if (entry.error) throw entry.error
    if (entry.status !== 'success' && !entry.removed && (flight.hasCaller || (own && entry.isActive))) {
      // Removed while in flight: whoever waits needs data fetched after the removal,
      // and that fetch settles the invalidations this one owed.
      const next = this.startFetch(entry, own, flight.hasCaller)
      next.followUp = flight.followUp
      next.over = flight.over
      return next.promise
    }
    if (own) {
      entry.dispatch()
      this.settle(entry, flight)
    }
    return entry.data
  }

  /**
   * A fetch answered with data or a 304: the entry is fresh, unless an
   * invalidation hit it while this fetch ran.
   */
  landFresh(entry: QueryEntry, flight: Flight, patch: EntryPatch): void {
    entry.flight = null
    entry.invalidated = flight.invalidated
    entry.dispatch(patch)
    this.settle(entry, flight)
  }

  landError(entry: QueryEntry, flight: Flight, error: Error): void {
    if (entry.flight === flight) {
      entry.flight = null
      entry.dispatch({ error })
    }
    this.counters.errors++
    this.report(error)
    this.settle(entry, flight)
  }

  /**
   *   fetch A starts ── invalidate ── invalidate ── A lands ── fetch B
   * However many invalidations hit A, one follow-up fetch B owes them all.
   */
  private settle(entry: QueryEntry, flight: Flight): void {
    const followUp = flight.followUp
    flight.over?.resolve()
    if (flight.invalidated && !entry.flight && !entry.removed && entry.isActive) {
      // Those invalidations are answered once the follow-up fetch is over (not by its own follow-up).
      this.startFetch(entry).over = followUp
    } else if (!entry.flight || entry.flight === flight) {
      followUp?.resolve()
    } else if (followUp && entry.flight.followUp !== followUp) {
      // User code started a newer fetch as this one landed (an event listener,
      // onError): it started after every invalidation, so it settles them.
      const next = entry.flight
      if (next.followUp) void next.followUp.promise.then(followUp.resolve)
      else next.followUp = followUp
    }
    if (!entry.hasObservers) this.scheduleGc(entry)
  }

  /**
   * Aborts a fetch nobody waits for and lets go of whoever waits on it being
   * over (invalidate() callers), instead of on its answer.
   */
  private abandon(entry: QueryEntry, flight: Flight): void {
    entry.flight = null
    flight.stop(abortError())
    flight.followUp?.resolve()
    flight.over?.resolve()
  }

  /** The same-tick grace: React StrictMode detaches and re-attaches at once. */
  maybeAbort(entry: QueryEntry): void {
    queueMicrotask(() => {
      const flight = entry.flight
      if (!flight || flight.hasCaller || entry.hasObservers) return
      this.abandon(entry, flight)
      // Leave the entry as it was before that fetch: no error, not fetching.
      entry.dispatch()
      this.scheduleGc(entry)
    })
  }

  // ---- observers --------------------------------------------------------

  attach(entry: QueryEntry, observer: Attached): void {
    // An array, not a Set: most entries have one observer (a one-element
    // array is a third of a Set's bytes), and notifying walks it in order.
    if (entry.observers) entry.observers.push(observer)
    else entry.observers = [observer]
    this.gc.cancel(entry)
    if (!this.active.has(entry)) {
      this.active.add(entry)
      if (this.active.size === 1) this.attachEnvironment()
      this.scheduleStaleFlip(entry)
    }
  }

  detach(entry: QueryEntry, observer: Attached): void {
    const observers = entry.observers ?? []
    const at = observers.indexOf(observer)
    if (at < 0) return
    observers.splice(at, 1)
    if (observers.length > 0) return
    // An unobserved entry carries no list (most cached entries are unobserved).
    entry.observers = undefined
    this.active.delete(entry)
    if (this.active.size === 0) this.detachEnvironment?.()
    entry.staleTimer?.()
    entry.staleTimer = null
    if (entry.flight) this.maybeAbort(entry)
    else this.scheduleGc(entry)
  }

  private attachEnvironment(): void {
    const { refetchOnFocus, refetchOnReconnect } = this.options
    const offFocus = listenFocus(() => this.refetchActive((o) => o.shown.refetchOnFocus ?? refetchOnFocus))
    const offOnline = listenOnline(() => this.refetchActive((o) => o.shown.refetchOnReconnect ?? refetchOnReconnect))
    this.detachEnvironment = () => {
      offFocus()
      offOnline()
      this.detachEnvironment = null
    }
  }

  /** On focus / reconnect: refetch stale active entries whose observers ask for it. */
  private refetchActive(wants: (observer: Attached) => boolean): void {
    for (const entry of [...this.active]) {
      let asked = false
      for (const observer of entry.observers ?? []) if (observer.enabled && wants(observer)) asked = true
      if (!asked || entry.flight) continue
      entry.restamp()
      if (entry.isStale) this.startFetch(entry)
    }
  }

  // ---- invalidation -----------------------------------------------------

  invalidate(target: InvalidationTarget, mode: InvalidationMode): Promise<number> {
    const matches = matchTarget(this.entries, this.index, target)
    const settled: Promise<unknown>[] = []
    for (const entry of matches) {
      const refetch = this.invalidateEntry(entry, mode)
      if (refetch) settled.push(refetch)
    }
    if (this.listeners.size > 0) this.emit({ type: 'invalidated', target, mode, count: matches.length })
    const count = matches.length
    return settled.length === 0 ? Promise.resolve(count) : Promise.all(settled).then(() => count)
  }

  /** Marks one entry; returns when the refetch it triggered settles (never rejects), if it is active. */
  private invalidateEntry(entry: QueryEntry, mode: InvalidationMode): Promise<unknown> | undefined {
    entry.invalidated = true
    const flight = entry.flight
    if (mode === 'remove') {
      // The data must never be shown again, not even by a fetch already in flight. One
      // still queued calls its fetcher after this (and after a write that superseded
      // it): it is the refetch, in its place in the queue.
      if (flight) flight.superseded = flight.startedWith !== null
      entry.dispatch({ data: undefined, error: undefined, sinceOrigin: undefined, etag: undefined, modelVersion: undefined })
    } else {
      // A fetch still queued (its fetcher not called yet) will answer after this: it is the
      // refetch, unless a write superseded it (its callers then get that write's data).
      if (flight && (flight.startedWith !== null || flight.superseded)) flight.invalidated = true
      entry.restamp(true)
    }
    if (!entry.isActive) return undefined
    // An event listener may have fetched the entry as it was marked: that
    // fetch started after the mark, so it is the refetch (no second one).
    const current = entry.flight
    if (current && current !== flight) return current.joinable.catch(noop)
    // Its follow-up settles when this fetch does, or is aborted (a fetcher that
    // ignores the signal may answer much later), or when the fetch that replaced it does.
    // After a remove, only a fetch still queued (not superseded above) is waited for.
    if (flight && (mode === 'stale' || !flight.superseded)) return (flight.followUp ??= deferred()).promise
    return (this.startFetch(entry).over ??= deferred()).promise
  }

  setModelVersion(model: string, version: string, policy: ModelVersionPolicy): void {
    this.modelVersions.set(model, version)
    if (policy === 'immediate') {
      // A scan (see InvalidationIndex); the matches are picked first, as refetches may add entries.
      const stale: QueryEntry[] = []
      for (const entry of this.entries.values()) {
        // The data's model and version (set without a model, data names none); a
        // fetch still running under another version counts: it would land fresh as that version.
        const flight = entry.flight
        const ran = flight && entry.query?.model === model && flight.startedWith !== null && flight.startedWith !== version
        if ((entry.model === model && entry.modelVersion !== version) || ran) {
          stale.push(entry)
        }
      }
      for (const entry of stale) void this.invalidateEntry(entry, 'stale')
    }
    if (this.listeners.size > 0) this.emit({ type: 'model-version', model, version, policy })
  }

  // ---- writes -----------------------------------------------------------

  /**
   * `keepModel`: the data stays the answer of the model version the entry
   * already names (an optimistic change to it), instead of naming the one
   * `options.model` gives.
   */
  set(key: QueryKey, dataOrUpdater: unknown, options: SetOptions, keepModel?: boolean): void {
    const where = 'set'
    const hashed = hashKey(key)
    checkSegment(where, options.segment)
    checkTags(where, options.tags)
    for (const field of ['etag', 'model'] as const) {
      if (options[field] !== undefined && typeof options[field] !== 'string') throw new TypeError(`${where}: ${field} must be a string`)
    }
    // The updater runs before anything changes: if it throws, nothing was added.
    const existing = this.entries.get(entryId(hashed.hash, options.segment))
    const data =
      typeof dataOrUpdater === 'function'
        ? (dataOrUpdater as (old: unknown) => unknown)(existing?.data)
        : dataOrUpdater
    // A new entry is announced with its data, never as a phantom pending entry.
    const entry = existing ?? this.ensure(key, hashed, options.segment, options.tags, options.model, false)
    if (options.tags) entry.applyTags(options.tags)
    // Without `model` the data names none; its next refetch runs under its query's model.
    // A fetch in flight started before this write: it must not overwrite it.
    this.supersede(entry)
    entry.invalidated = false
    const model = keepModel ? entry.model : options.model
    entry.dispatch(succeeded(data, options.etag, model, keepModel ? entry.modelVersion : this.versionOf(model), this.now()))
    if (entry === this.unannounced) this.announce(entry)
    if (!entry.hasObservers) this.scheduleGc(entry)
  }

  clear(): void {
    // The gc queue first: a `removed` listener may set entries that must be collected.
    this.gc.clear()
    // remove() takes each entry out of the indexes too.
    const observers: Attached[] = []
    for (const entry of [...this.entries.values()]) {
      if (entry.observers) observers.push(...entry.observers)
      this.remove(entry)
    }
    // Mounted queries never show the removed data again: each moves to a new
    // entry for its key (pending), and fetches it when enabled, as after a
    // remove-mode invalidation.
    for (const observer of observers) {
      observer.renew()
      observer.notify()
    }
  }

  stats(): CacheStats {
    return {
      entries: this.entries.size,
      ...this.counters,
      inFlight: this.gate.running,
      queued: this.gate.queuedCount,
    }
  }

  // ---- events -----------------------------------------------------------

  subscribe(listener: (event: CacheEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('subscribe: listener must be a function')
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  private emit(event: CacheEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event)
      } catch (error) {
        this.report(error instanceof Error ? error : new Error(String(error)))
      }
    }
  }

  report(error: Error): void {
    const onError = this.options.onError
    if (!onError) return
    try {
      onError(error)
    } catch {
      // An onError that throws must not break the cache.
    }
  }
}
