import { reportError } from '../core/report-error'
import type { Cache, CacheEvent, InvalidationMode, InvalidationTarget } from '../core/types'
import { coveredHere, eventBeingApplied, forgetStream } from './applied-events'
import { applyOnce, targetOf } from './apply-message'
import { MAX_LENGTH, parseRelayEnvelope, type RelayMessage } from './relay-envelope'
import { parseInvalidationMessage, type InvalidationMessage } from './schema'

export interface BroadcastOptions {
  /** BroadcastChannel name; tabs on the same name share invalidations. Default 'cachet'. */
  channel?: string | undefined
}

/**
 * How many relays of each cache are applying another tab's message right now.
 * Per cache, not per relay: a cache relayed twice (a hot reload that did not
 * stop the first relay, two app roots on one cache) must not re-post what
 * either relay applies, or the two would echo each other forever.
 */
const applying = new WeakMap<Cache, number>()

/**
 * Relays this cache's invalidations and model-version changes to every other
 * tab on the same BroadcastChannel, and applies theirs here. What a tab
 * receives it applies without posting it again, so there is no echo.
 * Returns a function that stops relaying and closes the channel. Where there
 * is no BroadcastChannel (Safari before 15.4) it relays nothing and returns a no-op.
 *
 * Invalidations whose target has a `predicate` are not sent: a function cannot
 * cross tabs, and dropping it would widen the invalidation to more entries
 * than the caller asked for.
 *
 * A change caused by a server event that has an id is relayed with that id
 * (`eventId`, scoped by `stream`). A tab that runs its own stream gets each
 * such event twice, from its stream and from the relay; whichever comes
 * second is skipped (see applied-events.ts), so the event costs one fetch.
 */
export function broadcastInvalidations(cache: Cache, options: BroadcastOptions = {}): () => void {
  const name = options.channel ?? 'cachet'
  const Channel = (globalThis as { BroadcastChannel?: typeof BroadcastChannel }).BroadcastChannel
  // Safari before 15.4 has none: each tab then works on its own, as without the relay.
  if (!Channel) return () => {}
  const channel = new Channel(name)

  // The cache emits its `invalidated` / `model-version` event synchronously
  // inside invalidate() / setModelVersion(), so everything emitted while a
  // relay of this cache applies a message is the echo of another tab's.
  const unsubscribe = cache.subscribe((event) => {
    if (applying.get(cache)) return
    const message: RelayMessage | undefined = toMessage(event)
    if (!message) return
    // Only the apply's own change: not one an app's listener made meanwhile.
    const serverEvent = eventBeingApplied(cache, event.type === 'invalidated' ? event.target : event.type === 'model-version' && event.model)
    // Other tabs refuse a tag past MAX_LENGTH (a token in the stream's url can
    // be longer): the change then goes untagged, costing at most one fetch more.
    if (serverEvent && serverEvent.id.length <= MAX_LENGTH && serverEvent.stream.length <= MAX_LENGTH) {
      message.eventId = serverEvent.id
      message.stream = serverEvent.stream
    }
    try {
      channel.postMessage(message)
    } catch (error) {
      reportError(cache, asError(error))
    }
  })

  // Other tabs may run another version of cachet: validate what arrives with
  // the same schema the server messages use (plus the relay's own fields),
  // and apply only the two kinds a tab sends.
  const onMessage = (event: MessageEvent<unknown>) => {
    const reject = (reason: string) =>
      reportError(cache, new Error(`cachet: rejected message from another tab on channel "${name}": ${reason}`))
    const parsed = parseInvalidationMessage(event.data, false)
    if (!parsed.ok) return reject(parsed.reason)
    const message = parsed.message
    if (message.type !== 'invalidate' && message.type !== 'model-version') {
      return reject(`type "${message.type}" is not relayed between tabs`)
    }
    const envelope = parseRelayEnvelope(event.data)
    if (!envelope.ok) return reject(envelope.reason)
    const serverEvent = envelope.serverEvent
    if (coveredHere(cache, serverEvent)) return
    // A reconnect without a sync id: the sending tab's server may have
    // restarted and count 1, 2, 3 again, and that tab forgot the stream's ids
    // (see connect.ts); so does this one, or it would skip the new events as
    // copies of the old ones it was relayed.
    if (serverEvent?.id.startsWith('sync:?')) forgetStream(cache, serverEvent.stream)
    applying.set(cache, (applying.get(cache) ?? 0) + 1)
    try {
      // Skipped when this tab's own stream applied that event first; recorded
      // otherwise, so the stream skips its copy when it comes.
      applyOnce(cache, message, serverEvent)?.catch((error: unknown) => reportError(cache, asError(error)))
    } catch (error) {
      reject(asError(error).message)
    } finally {
      applying.set(cache, applying.get(cache)! - 1)
    }
  }
  channel.addEventListener('message', onMessage)
  // Node has a BroadcastChannel too, and an open one keeps the process alive:
  // an app module that starts the relay, imported by a prerender script or a
  // test runner, would never let it exit. The relay only listens.
  ;(channel as { unref?: () => void }).unref?.()

  let stopped = false
  return () => {
    if (stopped) return
    stopped = true
    unsubscribe()
    channel.removeEventListener('message', onMessage)
    channel.close()
  }
}

/** The wire form of a cache event: the same messages a server sends. */
function toMessage(event: CacheEvent): InvalidationMessage | undefined {
  if (event.type === 'model-version') {
    return { type: 'model-version', model: event.model, version: event.version, policy: event.policy }
  }
  if (event.type === 'invalidated') return invalidateMessage(event.target, event.mode)
  return undefined
}

type InvalidateMessage = Extract<InvalidationMessage, { type: 'invalidate' }>

function invalidateMessage(target: InvalidationTarget, mode: InvalidationMode): InvalidationMessage | undefined {
  if (target.predicate) return undefined
  // The target's given fields, as a received message's become a target.
  const message: InvalidateMessage = { type: 'invalidate', mode, ...(targetOf(target) as Partial<InvalidateMessage>) }
  const { key, tags, segment, model, modelVersion } = message
  // Plain copies: postMessage cannot clone an array in a Proxy (an observable store's).
  if (key) message.key = [...key]
  if (tags) message.tags = [...tags]
  // `{}` meant "everything" here; the wire form says so explicitly.
  if ([key, tags, segment, model, modelVersion].every((field) => field === undefined)) message.all = true
  return message
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error))
}
