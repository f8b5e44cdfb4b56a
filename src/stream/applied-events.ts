import type { Cache } from '../core/types'

// When every tab runs its own stream and the cross-tab relay, each server
// event reaches a tab twice: from its own stream and relayed by another tab.
// The second copy usually lands while the first refetch is in flight, and an
// invalidation during a fetch costs one more fetch. So each cache remembers
// the server events it has applied, by id, and the relay carries that id.
//
// This registry is the meeting point of connect.ts (which knows the id) and
// broadcast.ts (which sees the cache event the id caused). The core emits its
// `invalidated` / `model-version` event synchronously inside invalidate() /
// setModelVersion(), so "the event being applied" is exact while an apply runs;
// of what the cache emits meanwhile, only the apply's own change (see `change`)
// is that event's, not one an app's listener makes in reply.

/** Which server event: its id, scoped by the stream it came from (two streams may both count 1, 2, 3…). */
export interface ServerEvent {
  readonly id: string
  /** The stream's absolute URL, or '' when it is not known. */
  readonly stream: string
}

// Enough for any realistic gap between the two copies of one event, and small
// enough to keep per cache: the oldest id is forgotten first.
export const REMEMBERED_EVENTS = 1_000

interface Registry {
  current: ServerEvent | undefined
  seen: Set<string>
  /** The streams this tab is connected to itself. */
  own: Set<string>
}

const registries = new WeakMap<Cache, Registry>()

/**
 * What the running apply changes: the target it passes to invalidate(), or
 * the model whose version it sets. A cache event about anything else (an
 * app's listener reacting to the apply) is not the server event's change.
 * One for all caches: an apply runs synchronously, and starts none inside it.
 */
let change: unknown

function registryOf(cache: Cache): Registry {
  let registry = registries.get(cache)
  if (!registry) {
    registry = { current: undefined, seen: new Set(), own: new Set() }
    registries.set(cache, registry)
  }
  return registry
}

// An SSE id never holds a line break (the protocol splits on them), so the
// first '\n' separates the two parts unambiguously.
const keyOf = (event: ServerEvent): string => `${event.id}\n${event.stream}`

/** Whether `cache` has already applied this server event, from its stream or through the relay. */
export function wasApplied(cache: Cache, event: ServerEvent): boolean {
  return registries.get(cache)?.seen.has(keyOf(event)) ?? false
}

/**
 * Records `event` as applied to `cache` and runs `apply` with it as the event
 * being applied, so the relay tags the change `apply` names with `changing`
 * (what the cache emits for anything else meanwhile goes untagged).
 */
export function applyingEvent<T>(cache: Cache, event: ServerEvent, apply: () => T): T {
  const registry = registryOf(cache)
  const key = keyOf(event)
  if (!registry.seen.has(key)) {
    registry.seen.add(key)
    // A Set iterates in insertion order: its first element is the oldest.
    if (registry.seen.size > REMEMBERED_EVENTS) registry.seen.delete(registry.seen.values().next().value!)
  }
  const outer = registry.current
  registry.current = event
  change = undefined
  try {
    return apply()
  } finally {
    registry.current = outer
  }
}

/** Names `value` as what the running apply changes (see `change`), and returns it. */
export function changing<T>(value: T): T {
  return (change = value)
}

/**
 * Forgets the events of `stream` that `cache` has applied. A server that does
 * not replay may number its events from 1 again after a restart; its new
 * events must not be skipped as copies of the old ones that had those ids.
 */
export function forgetStream(cache: Cache, stream: string): void {
  const seen = registries.get(cache)?.seen
  // keyOf puts the stream after the id's one '\n'.
  if (seen) for (const key of seen) if (key.endsWith(`\n${stream}`)) seen.delete(key)
}

/**
 * The id of the last event of `stream` that `cache` applied, from its own
 * connection or relayed; a sync it was current with counts, as its reconnect
 * event (`sync:<id>`). Undefined when it heard none.
 */
export function lastHeard(cache: Cache, stream: string): string | undefined {
  let last: string | undefined
  // keyOf puts the stream after the id's one '\n'; a Set iterates in insertion order.
  for (const key of registries.get(cache)?.seen ?? []) if (key.endsWith(`\n${stream}`)) last = key.slice(0, key.indexOf('\n'))
  return last
}

/**
 * The server event whose apply is running on `cache` right now, if any, and
 * if what it changes is `changed` (see `change`; an apply that names nothing
 * matches a call without it).
 */
export function eventBeingApplied(cache: Cache, changed?: unknown): ServerEvent | undefined {
  return changed === change ? registries.get(cache)?.current : undefined
}

/**
 * The invalidation a reconnect of `stream` caused, named as a server event:
 * the sync's, when it has an id; otherwise a name no other reconnect has, so
 * that a tab without its own stream applies each one it is relayed.
 */
export function reconnectEvent(stream: string, sync: ServerEvent | undefined): ServerEvent {
  return { id: `sync:${sync ? sync.id : `?${Math.random()}`}`, stream }
}

/**
 * Records that this tab is connected to `stream` itself, until the returned
 * function runs. Such a tab ignores the reconnect invalidations other tabs
 * relay for that stream: its own connection's reconnects cover its own gaps,
 * and while it is connected it missed nothing. (Two connections to one stream
 * in one tab are rare: when one of them closes, the tab applies relayed ones
 * again, which costs a fetch, never an event.)
 */
export function ownStream(cache: Cache, stream: string): () => void {
  const { own } = registryOf(cache)
  own.add(stream)
  return () => own.delete(stream)
}

/** Whether `event`, relayed by another tab, is a reconnect invalidation of a stream this tab has itself. */
export function coveredHere(cache: Cache, event: ServerEvent | undefined): boolean {
  return !!event?.id.startsWith('sync:') && !!registries.get(cache)?.own.has(event.stream)
}
