import { internalsOf } from '../core/internals'
import { entryId, hashKey } from '../core/key'
import type { QueryEntry } from '../core/entry'
import type { Cache, QueryKey } from '../core/types'

/**
 * Optimistic updates as layers over a base value, per (cache, entry).
 *
 * "Rolled back exactly" means: undoing a failed mutation removes that
 * mutation's change and nothing else.
 * - Other optimistic mutations on the same entry keep theirs: the value is
 *   recomputed as the base with the remaining layers applied in order
 *   (their updaters run again), so
 *     base 1 → +1 (A) → +1 (B) → A fails → 2 → B fails → 1.
 * - A write from elsewhere in between (a fetch, `set`, a server event) wins
 *   wherever it touched the value: the undo is a three-way merge that puts
 *   the layer-free value back only where the entry still shows what the
 *   layers produced, field by field through plain objects (other values,
 *   arrays included, are reverted only when still deep-equal to ours):
 *     {likes 1, title 'a'} → likes +1 → set title 'b' → fails → {likes 1, title 'b'}
 *     {likes 1} → likes +1 → refetch {likes 5} → fails → {likes 5}
 * A mutation that succeeds keeps its layer until every layer of the entry
 * has settled, so a later rollback of an earlier layer keeps it.
 * A write from elsewhere that replaced what the layers produced (a refetch,
 * `clear()`, gc) ends them: undoing any of them then changes nothing, and a
 * layer added after it starts over what the entry shows, so a rollback never
 * replays a replaced layer over that write:
 *     likes 1 → +1 (A) → refetch 5 → +10 (B) → B fails → 5 (not A replayed: 6)
 */

interface Layer {
  update: (old: unknown) => unknown
  settled: boolean
  /** A write from elsewhere replaced its change (see above). */
  replaced?: boolean
}

interface Stack {
  /** The value without any of our layers. */
  base: unknown
  /**
   * When the base was written (the entry's updatedAt then; undefined: no
   * data): a rollback gives the data back this age, never a fresh one.
   */
  since: number | undefined
  /** The etag that names the base (the server's data as it sent it), if any. */
  etag: string | undefined
  /** What we last wrote to the entry. */
  shown: unknown
  layers: Layer[]
  /**
   * A write of ours dropped an invalidation (or a fetch in flight, whose answer
   * would have been newer): owed to that entry once every layer has settled,
   * so a local guess never passes for the server's data.
   */
  owed?: QueryEntry | undefined
}

export interface OptimisticLayer {
  /**
   * The mutation succeeded: keep the change. `mark` marks the mutation's
   * invalidations; if it throws, nothing is settled (roll back then).
   */
  confirm(mark?: () => void): void
  /** The mutation failed: undo exactly this change. */
  rollback(): void
}

const stacks = new WeakMap<Cache, Map<string, Stack>>()

/** Applies `update` to the entry's data now (a `cache.set`) and returns how to settle it. */
export function applyOptimistic(
  cache: Cache,
  key: QueryKey,
  segment: string | undefined,
  update: (old: unknown) => unknown,
): OptimisticLayer {
  const id = entryId(hashKey(key).hash, segment)
  let byEntry = stacks.get(cache)
  if (byEntry === undefined) stacks.set(cache, (byEntry = new Map()))
  const entry = internalsOf(cache).lookup(key, segment, 'set')
  const current = entry?.data
  // Run before anything is recorded: an updater that throws leaves no layer.
  const applied = update(current)
  let stack = byEntry.get(id)
  if (stack === undefined || (!Object.is(current, stack.shown) && !absorb(stack, entry))) {
    stack = { base: current, since: ageOf(entry), etag: entry?.etag, shown: current, layers: [] }
    byEntry.set(id, stack)
  }
  const layer: Layer = { update, settled: false }
  stack.layers.push(layer)
  write(cache, key, segment, (stack.shown = applied), stack)

  const entries = byEntry
  const own = stack
  /** This layer's entry alone: its key exactly, in its segment. */
  const invalidateOwn = (mode?: 'remove') =>
    void cache.invalidate({ key, exact: true, predicate: (entry) => entry.segment === segment }, mode && { mode })
  const release = () => {
    layer.settled = true
    const layers = own.layers
    const first = layers.findIndex((l) => !l.settled)
    if (first < 0) {
      if (entries.get(id) !== own) return
      entries.delete(id)
      // Not when a write from elsewhere came since ours (the entry no longer
      // shows what we wrote), when the entry is invalidated again already (its
      // mutation's `invalidates`), when a fetch that started after our last
      // write is in flight (it reads newer data), nor when the entry was
      // removed since (`clear()`, gc: a new one fetches anyway).
      const owed = own.owed
      if (
        owed &&
        !layer.replaced &&
        !owed.invalidated &&
        Object.is(owed.data, own.shown) &&
        !landing(owed) &&
        owed === internalsOf(cache).lookup(key, segment, 'set')
      ) {
        invalidateOwn()
      }
    } else if (first > 0) {
      // Settled layers before every unsettled one can never be undone: they
      // become part of the base, so an entry whose mutations overlap without
      // pause does not keep (and replay on each rollback) all of them.
      try {
        own.base = fold(own.base, layers.slice(0, first))
        layers.splice(0, first)
      } catch {
        // An updater that throws on the base: they stay, replayed as before.
      }
    }
  }
  return {
    confirm(mark) {
      // The server took the change. A fetch whose fetcher already ran may have
      // read before it did, and would take the change off the screen:
      //   write (likes 2) ── refetch reads 1 ── server commits, confirm ── refetch lands 1
      // Its answer is dropped (as one a `set` overtook) and the entry is
      // invalidated, so one more fetch follows. Not a fetch the mutation's own
      // invalidations start (`mark`): it reads after the server took the change.
      // Only while the entry shows our layers and no other one is pending:
      // until then, data that lands wins.
      const entry = internalsOf(cache).lookup(key, segment, 'set')
      const flight = entry?.flight
      const read =
        flight &&
        flight.startedWith !== null &&
        !flight.superseded &&
        Object.is(entry.data, own.shown) &&
        entries.get(id) === own &&
        own.layers.every((l) => l === layer || l.settled)
      mark?.()
      if (read && entry.flight === flight && !flight.superseded) {
        flight.superseded = true
        if (!flight.invalidated) invalidateOwn()
      }
      release()
    },
    rollback() {
      const index = own.layers.indexOf(layer)
      if (layer.settled || layer.replaced || index < 0) return release()
      // Released whatever happens below: a layer that failed to undo must
      // not stay on the stack for a later rollback to replay.
      try {
        const entry = internalsOf(cache).lookup(key, segment, 'set')
        const now = entry?.data
        if (!Object.is(now, own.shown) && !absorb(own, entry)) {
          // That write won: nothing of ours is left to undo.
          if (entries.get(id) === own) entries.delete(id)
          return
        }
        // The entry holds our fold (shown): carry this layer's undo onto it.
        own.layers.splice(index, 1)
        const next = rebase(now, own.shown, fold(own.base, own.layers))
        own.shown = next
        if (next === undefined && now !== undefined) {
          // Back to no data: the entry goes back to pending (and its observers
          // refetch), not to a fresh success holding undefined. A fetch that
          // started after our write is that refetch: it is left to land.
          if (landing(entry)) entry.dispatch({ data: undefined, sinceOrigin: undefined })
          else invalidateOwn('remove')
        } else if (!Object.is(next, now)) {
          // Not a `set`: an undo is no news from the server. The data gets the
          // base's age back (a failed mutation leaves stale data stale), and an
          // invalidation that hit the entry since, or a fetch that started
          // after our write (it reads newer data), stay in force.
          // Back to the base itself, it gets its etag back too (a 304 can answer again).
          if (entry) entry.dispatch({ data: next, updatedAt: own.since ?? entry.updatedAt, etag: Object.is(next, own.base) ? own.etag : undefined })
          else write(cache, key, segment, next, own)
        }
      } finally {
        release()
      }
    },
  }
}

/**
 * The entry shows other data, written from elsewhere since our last write.
 * Where it kept what our layers produced, it becomes the base they go on
 * over, with that write's age, and it settles what our writes owed (true);
 * where it replaced it, the layers are marked replaced (false).
 */
function absorb(stack: Stack, entry: QueryEntry | undefined): boolean {
  const current = entry?.data
  const base = rebase(current, stack.shown, stack.base)
  try {
    if (deepEqual(fold(base, stack.layers), current)) {
      stack.base = base
      stack.since = ageOf(entry)
      // A base merged from theirs and ours is no data the server sent.
      stack.etag = Object.is(base, current) ? entry?.etag : undefined
      stack.shown = current
      stack.owed = undefined
      return true
    }
  } catch {
    // An updater that throws over the new base: its change cannot be kept.
  }
  for (const layer of stack.layers) layer.replaced = true
  return false
}

function write(cache: Cache, key: QueryKey, segment: string | undefined, value: unknown, stack: Stack): void {
  // A `set` is taken as the server's word: it clears the entry's invalidation
  // and drops a fetch in flight (see Stack.owed).
  const core = internalsOf(cache)
  const entry = core.lookup(key, segment, 'set')
  if (entry && (entry.invalidated || entry.flight)) stack.owed = entry
  // The updater form, so a value is never mistaken for an updater. The data is
  // still the answer of the model version the entry names (with a local
  // change), for `setModelVersion` and model targets; the etag is dropped: it
  // no longer names what the entry holds.
  core.set(key, () => value, { segment }, true)
}

/** The entry has a fetch in flight whose answer will land (no write has overtaken it). */
function landing(entry: QueryEntry | undefined): entry is QueryEntry {
  return !!entry?.flight && !entry.flight.superseded
}

/** The entry's updatedAt, when it holds data (data only comes with a success). */
function ageOf(entry: QueryEntry | undefined): number | undefined {
  return entry?.data === undefined ? undefined : entry.updatedAt
}

function fold(base: unknown, layers: readonly Layer[]): unknown {
  let value = base
  for (const layer of layers) value = layer.update(value)
  return value
}

/**
 * Carries the change `from → to` over onto `value`: where `value` still shows
 * `from`, it gets `to`; where something else changed it, that change wins.
 */
export function rebase(value: unknown, from: unknown, to: unknown): unknown {
  if (Object.is(from, to)) return value
  if (Object.is(value, from)) return to
  if (isPlainObject(value) && isPlainObject(from) && isPlainObject(to)) {
    let out: Record<string, unknown> | undefined
    for (const field of new Set([...Object.keys(from), ...Object.keys(to)])) {
      if (Object.is(from[field], to[field]) && field in from === field in to) continue
      const merged = rebase(value[field], from[field], to[field])
      const remove = merged === undefined && !(field in to) && field in value
      if (Object.is(merged, value[field]) && !remove) continue
      out ??= { ...value }
      if (remove) delete out[field]
      else out[field] = merged
    }
    // Nothing of ours left to carry over: keep the reference (no needless write).
    return out ?? value
  }
  return deepEqual(value, from) ? to : value
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto: unknown = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i]))
  }
  if (isPlainObject(a) && isPlainObject(b)) {
    const fields = Object.keys(a)
    return (
      fields.length === Object.keys(b).length &&
      fields.every((field) => field in b && deepEqual(a[field], b[field]))
    )
  }
  return false
}
