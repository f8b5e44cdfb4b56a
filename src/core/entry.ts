import { initialSnapshot, reduce, type EntryAction } from './entry-state'
import type { Indexable } from './invalidation-index'
import { partsOf, sameElements } from './key'
import type { Cancel } from './scheduler'
import type { Entry, FetchContext, QueryKey, QueryOptions, Schema } from './types'

/** What an entry needs from the cache that holds it. */
export interface EntryHost {
  now(): number
  defaultStaleTime: number
  changed(entry: QueryEntry, previous: Entry<unknown>): void
  retag(entry: QueryEntry, tags: readonly string[]): void
  remodel(entry: QueryEntry, model: string | undefined): void
  reversion(entry: QueryEntry, version: string | undefined): void
}

/** One fetch in flight for an entry. */
export class Flight {
  promise: Promise<unknown> = Promise.resolve()
  /** A `cache.fetch()` or `refetch()` caller awaits it: never abort it. */
  hasCaller = false
  /** An invalidation hit the entry while this fetch ran: its result is not fresh. */
  invalidated = false
  /** Settles when the one follow-up fetch owed to those invalidations settles. */
  followUp: { promise: Promise<void>; resolve: () => void } | null = null
  aborted = false
  private reason: unknown = undefined
  // Made only when someone reads the signal (most fetchers never do): an
  // AbortController per fetch is the largest allocation of a fetch.
  private controller: AbortController | null = null

  /** The entry's generation when this fetch started; a later set/remove/fetch supersedes it. */
  readonly generation: number

  // Not a parameter property: esbuild's property mangling leaves a stray field for those (esbuild#4528).
  constructor(generation: number) {
    this.generation = generation
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController()
      if (this.aborted) this.controller.abort(this.reason)
    }
    return this.controller.signal
  }

  abort(reason: unknown): void {
    if (this.aborted) return
    this.aborted = true
    this.reason = reason
    this.controller?.abort(reason)
  }

  /** Throws the abort reason if this fetch was aborted. */
  throwIfAborted(): void {
    if (this.aborted) throw this.reason
  }
}

/** Something attached to an entry: an observer (a mounted hook). */
export interface Attached {
  readonly enabled: boolean
  readonly refetchOnFocus: boolean | undefined
  readonly refetchOnReconnect: boolean | undefined
  notify(): void
}

type Fetcher = (ctx: FetchContext) => Promise<unknown>

/** One cached query: its state machine and what is attached to it. */
export class QueryEntry implements Indexable {
  readonly id: string
  readonly segment: string | undefined
  snapshot: Entry<unknown>
  indexedTags: readonly string[] = []
  indexedModel: string | undefined
  indexedVersion: string | undefined

  /** The latest query options (fetcher, schema, times); undefined for an entry only ever `set`. */
  query: QueryOptions<unknown> | undefined

  /** Forced stale by an invalidation until a fetch that started after it succeeds. */
  invalidated = false
  /** Bumped by every write that a fetch in flight must not overwrite. */
  generation = 0
  flight: Flight | null = null
  observers: Set<Attached> | null = null
  /** When the gc queue may remove it (timer clock); 0 when not scheduled. */
  gcDue = 0
  staleTimer: Cancel | null = null
  removed = false
  /** Its `added` event went out; only then do changes go out as `updated`. */
  announced = false

  constructor(
    private readonly host: EntryHost,
    id: string,
    key: QueryKey,
    segment: string | undefined,
    tags: readonly string[],
    model: string | undefined,
  ) {
    this.id = id
    this.segment = segment
    this.indexedTags = tags
    this.indexedModel = model
    this.snapshot = initialSnapshot(key, segment, tags, model)
  }

  /** Takes the latest query options: the fetcher, times, and what the entry depends on. */
  applyOptions(options: QueryOptions<unknown>): void {
    this.query = options
    if (options.tags !== undefined) this.applyTags(options.tags)
    if (options.model !== this.indexedModel) {
      this.host.remodel(this, options.model)
      if (this.snapshot.status !== 'success') this.silently({ type: 'model', model: options.model })
    }
  }

  /** What the entry depends on; re-indexed without notifying observers. */
  applyTags(tags: readonly string[]): void {
    if (sameElements(tags, this.indexedTags)) return
    const frozen = Object.freeze([...tags])
    this.host.retag(this, frozen)
    this.silently({ type: 'tags', tags: frozen })
  }

  /** The key's hash (the id without its segment). */
  get hash(): string {
    const end = this.id.indexOf('\u0000')
    return end === -1 ? this.id : this.id.slice(0, end)
  }

  get parts(): readonly string[] {
    return partsOf(this.hash, this.snapshot.key.length)
  }

  get fetcher(): Fetcher | undefined {
    return this.query?.fetcher as Fetcher | undefined
  }
  get schema(): Schema<unknown> | undefined {
    return this.query?.schema
  }
  get staleTime(): number | undefined {
    return this.query?.staleTime
  }
  get gcTime(): number | undefined {
    return this.query?.gcTime
  }
  get retry(): number | undefined {
    return this.query?.retry
  }

  get hasObservers(): boolean {
    return this.observers !== null && this.observers.size > 0
  }

  /** Has an enabled observer: invalidations and focus refetch it now. */
  get isActive(): boolean {
    if (!this.observers) return false
    for (const observer of this.observers) if (observer.enabled) return true
    return false
  }

  computeStale(updatedAt: number): boolean {
    if (this.invalidated || updatedAt === 0) return true
    const staleTime = this.staleTime ?? this.host.defaultStaleTime
    return this.host.now() - updatedAt >= staleTime
  }

  dispatch(action: EntryAction): void {
    const previous = this.snapshot
    const next = reduce(previous, action)
    next.isStale = this.computeStale(next.updatedAt)
    this.snapshot = next
    if (this.snapshot.modelVersion !== this.indexedVersion) this.host.reversion(this, this.snapshot.modelVersion)
    this.host.changed(this, previous)
  }

  /** Recomputes `isStale` (time passed, or an invalidation); notifies only on a flip. */
  restamp(): void {
    const isStale = this.computeStale(this.snapshot.updatedAt)
    if (isStale === this.snapshot.isStale) return
    const previous = this.snapshot
    this.snapshot = { ...previous, isStale }
    this.host.changed(this, previous)
  }

  /** A change no observer needs to hear about (what the entry depends on). */
  private silently(action: EntryAction): void {
    this.snapshot = reduce(this.snapshot, action)
  }
}
