import { backoff } from '../core/fetch-run'
import { internalsOf } from '../core/internals'
import { reportBug, reportError } from '../core/report-error'
import type { Cache, QueryKey, QueryOptions } from '../core/types'
import { applyingEvent, changing, forgetStream, lastHeard, ownStream, reconnectEvent, wasApplied, type ServerEvent } from './applied-events'
import { applyOnce } from './apply-message'
import { describeIssues, parseInvalidationMessage } from './schema'

/** What `connectInvalidations` needs of an EventSource (the browser's, the `eventsource` package's, a fake). */
export interface EventSourceLike {
  /** 0 connecting, 1 open, 2 closed (the EventSource constants). */
  readonly readyState: number
  addEventListener(type: string, listener: (event: MessageEvent) => void): void
  removeEventListener(type: string, listener: (event: MessageEvent) => void): void
  close(): void
}

export interface StreamOptions {
  /** SSE event name to listen to. Default 'message'. */
  event?: string | undefined
  withCredentials?: boolean | undefined
  /**
   * What to do when the connection reopens after a drop. Default
   * 'invalidate-active': events may have been missed while disconnected.
   * A server that replays (sends `sync`) is trusted when it says the replay
   * is complete.
   */
  onReconnect?: 'invalidate-active' | 'none' | undefined
  /** The EventSource constructor, for Node and tests. Default `globalThis.EventSource`. */
  eventSourceImpl?: typeof EventSource | undefined
}

export type ConnectOptions = StreamOptions & {
  /** Where to connect; ignored when `source` is given. */
  url?: string | undefined
  /** An EventSource you own: listened to, and left open by `close()`. */
  source?: EventSourceLike | undefined
}

export type StreamState = 'connecting' | 'open' | 'closed'

export interface InvalidationConnection {
  /** Stops applying events; closes the EventSource if this connection created it. */
  close(): void
  readonly state: StreamState
}

const OPEN = 1
const CLOSED = 2

// State-change listeners live outside the returned object, so its shape stays
// exactly the contract's; the React hook reads them through `watchState`.
const stateListeners = new WeakMap<InvalidationConnection, Set<() => void>>()

/** Calls `listener` whenever `connection.state` changes. Returns the unsubscribe. */
export function watchState(connection: InvalidationConnection, listener: () => void): () => void {
  const listeners = stateListeners.get(connection)
  if (!listeners) return () => {}
  listeners.add(listener)
  return () => {
    listeners.delete(listener)
  }
}

/**
 * Applies server-sent invalidations to `cache`: `invalidate`, `model-version`
 * and `set` messages, one JSON message per event. A bad event changes nothing,
 * keeps the connection open, and is reported to the cache's `onError`.
 * An EventSource gives up for good on any answer but 200; one this connection
 * created is then replaced after 0.5–1 s, 1–2 s, 2–4 s … (at most 30 s; each
 * delay drawn at random in its range, so tabs that failed together do not come
 * back together), while `state`
 * stays 'connecting'. When the replacement gives up too (a wrong url's 404, a
 * 401, a page that is no event stream), one Error naming the url reaches the
 * cache's `onError` (the console without one), and no other until a source has opened again. A source
 * passed in that gives up leaves it 'closed', and reports nothing (its owner
 * hears its `error`).
 */
export function connectInvalidations(cache: Cache, options: ConnectOptions): InvalidationConnection {
  const eventName = options.event ?? 'message'
  const onReconnect = options.onReconnect ?? 'invalidate-active'
  const owned = options.source === undefined
  let source = options.source ?? openSource(options)
  const stream = streamOf(options, source)
  // The last event of this stream the cache heard before this connection: an
  // earlier connection's (the user left the page that streams and came back),
  // or one another tab relayed (the tab that held the stream closed, and this
  // one took it over). This connection sends no Last-Event-ID, so nothing is
  // replayed: its first sync names the hub's newest event, and when that is
  // not this one, events came in between (see onMessage).
  let before = onReconnect === 'none' ? undefined : lastHeard(cache, stream)
  // What earlier connections to this stream applied says nothing about this
  // one's ids: the server may have restarted since and count 1, 2, 3 again
  // (see onOpen). Relayed copies that arrive from now on are still matched.
  forgetStream(cache, stream)
  // While this connection invalidates on its reconnects, other tabs' reconnect
  // invalidations of the same stream are not this tab's business (see ownStream).
  const disown = stream && onReconnect !== 'none' ? ownStream(cache, stream) : undefined
  // A source we created that gave up (an EventSource does on any answer but
  // 200: a 503 from a closing hub, a proxy's 502 during a deploy) is replaced
  // after a backoff. The new one connects without Last-Event-ID, so a gap is
  // handled like any reconnect: a hub answers `sync: none`, a plain server
  // sends none, and either way active entries are invalidated.
  let retries = 0
  // A plain timer, not the cache's unref'd kind: like the open source it
  // replaces, it keeps a Node process that only listens alive.
  let retry: ReturnType<typeof setTimeout> | undefined

  let state: StreamState = stateOf(source.readyState)
  // A source handed to us already open has had its first open: the next one is a reconnect.
  let hasOpened = state === 'open'
  // Whether this server ever sent `sync`, i.e. replays missed events on reconnect.
  let syncSeen = false
  // Reconnected to a replaying server, and its `sync` has not arrived yet.
  let awaitingSync = false
  // The lastEventId of the previous event (see `serverEventOf`).
  let previousId = ''

  const listeners = new Set<() => void>()
  const setState = (next: StreamState) => {
    if (next === state) return
    state = next
    for (const listener of [...listeners]) listener()
  }

  const report = (error: unknown) => {
    reportError(cache, error instanceof Error ? error : new Error(String(error)))
  }

  // After missed events we cannot know which entries they touched, so mark
  // everything stale: per the invalidate semantics only entries with observers
  // (the active ones) refetch now, the rest refetch on their next use. That is
  // exactly "invalidate active entries" without asking the core who observes what.
  //
  // A sync's gap is the same for every tab that reconnected to it (a hub
  // restart reconnects them all): keyed on the sync's id, each tab applies it
  // once, whether from its own stream or relayed from another tab.
  // applyOnce's two steps, inline: applyMessage would add an options argument to this invalidate({}).
  const invalidateActive = (sync?: ServerEvent) => {
    const event = reconnectEvent(stream, sync)
    if (wasApplied(cache, event)) return
    applyingEvent(cache, event, () => void cache.invalidate(changing({})).catch(report))
  }

  const onOpen = () => {
    retries = 0
    const reconnect = hasOpened
    hasOpened = true
    setState('open')
    if (!reconnect) return
    // A server that never sent `sync` makes no promise about its ids across a
    // reconnect: restarted, it may count 1, 2, 3 again. Its ids from before
    // are forgotten, so a new event is never skipped as an old one's copy.
    if (!syncSeen) forgetStream(cache, stream)
    if (onReconnect === 'none') return
    if (syncSeen) {
      // The hub replays what we missed, then says whether that was all of it:
      //   open → replayed events (applied as they come) → sync
      awaitingSync = true
    } else {
      invalidateActive()
    }
  }

  const onError = (event: MessageEvent) => {
    // The EventSource reconnects by itself unless it gave up (CLOSED).
    if (source.readyState !== CLOSED) return setState('connecting')
    if (!owned) {
      disown?.()
      return setState('closed')
    }
    setState('connecting')
    // One give-up may be a deploy's 503. The replacement giving up too (a wrong
    // url, a 401, a page that is no stream) is reported, once until a source opens.
    // The `eventsource` package's error event says why (with the status); a browser's does not.
    // Nothing else says it (state stays 'connecting'): a cache without onError logs it.
    if (retries === 1) {
      const why = (event as { message?: string }).message
      reportBug(cache, new Error(`cachet: stream ${stream} failed twice${why ? ` (${why})` : ''}; retrying`))
    }
    retry ??= setTimeout(() => {
      retry = undefined
      // Events may have been missed since this source failed, even if it never
      // opened: the new one's open counts as a reconnect.
      hasOpened = true
      listen('removeEventListener')
      source.close()
      source = openSource(options)
      listen('addEventListener')
    }, Math.ceil((backoff(retries++) * (1 + Math.random())) / 2))
  }

  // An EventSource keeps its last id and hands it to every later event that
  // sets none (the hub's `sync`, say). Only the event that brought an id is
  // known by it; a later one repeating it is treated as having no id, so it
  // is always applied rather than mistaken for a copy.
  const serverEventOf = (event: MessageEvent): ServerEvent | undefined => {
    const id = event.lastEventId
    const own = id !== '' && id !== previousId
    previousId = id
    return own ? { id, stream } : undefined
  }

  const onMessage = (event: MessageEvent) => {
    const serverEvent = serverEventOf(event)
    const id = event.lastEventId || '(no id)'
    const reject = (reason: string) => report(new Error(`cachet: rejected server event ${id}: ${reason}`))
    const parsed = parseInvalidationMessage(event.data, true)
    if (!parsed.ok) {
      reject(parsed.reason)
      return
    }
    const message = parsed.message
    if (message.type === 'sync') {
      syncSeen = true
      // (`before` may be the reconnect event of a sync: 'sync:<id>'.)
      const missed = awaitingSync || (before !== undefined && before.replace('sync:', '') !== serverEvent?.id)
      awaitingSync = false
      before = undefined
      if (missed && message.replay !== 'complete') invalidateActive(serverEvent)
      // The cache is current with the sync's id: recorded as its reconnect event, for lastHeard.
      else if (serverEvent) applyingEvent(cache, reconnectEvent(stream, serverEvent), () => {})
      return
    }
    // (The `sync` bookkeeping above never skips an event another tab relayed.)
    try {
      if (message.type === 'set') {
        // The data is what a fetch of the entry would answer: its query's
        // schema parses it as it parses a fetch's (a date string may become a
        // Date), and data that fails it is rejected before anything changes.
        const schema = schemaOf(cache, message.key, message.segment)
        if (schema) {
          try {
            const parsed = schema.safeParse(message.data)
            if (!parsed.success) throw parsed.error
            message.data = parsed.data
          } catch (thrown) {
            // A failed parse, or a transform or refine that throws (a bad date's toISOString).
            // In the schema's own words (an app's zod has its locale), as a fetch's schema failure is;
            // a schema that is not zod (an app's own check) has its error's message.
            const error = thrown as { issues?: []; message?: string } | undefined
            const why = error?.issues ? describeIssues(error.issues, true) : (error?.message ?? error)
            throw new Error(`set ${JSON.stringify(message.key)}: data fails its query's schema (${why})`)
          }
        }
      }
      applyOnce(cache, message, serverEvent)?.catch(report)
    } catch (error) {
      reject(error instanceof Error ? error.message : String(error))
    }
  }

  const listen = (how: 'addEventListener' | 'removeEventListener') => {
    source[how]('open', onOpen)
    source[how]('error', onError)
    source[how](eventName, onMessage)
  }
  listen('addEventListener')

  let closed = false
  const connection: InvalidationConnection = {
    close() {
      if (closed) return
      closed = true
      disown?.()
      // Closed before its first sync could use `before` (the user came back to
      // the page and left again while it connected): the next connection gets it.
      if (before !== undefined && lastHeard(cache, stream) === undefined) applyingEvent(cache, { id: before, stream }, () => {})
      clearTimeout(retry)
      listen('removeEventListener')
      if (owned) source.close()
      setState('closed')
      listeners.clear()
    },
    get state() {
      return state
    },
  }
  stateListeners.set(connection, listeners)
  return connection
}

/**
 * The schema of the query for `key`: that of its entry in `segment`, else of
 * the key in any other segment. The same key in another segment is the same
 * query under another arm or tenant, so a `set` for a segment the tab does not
 * show (yet) is parsed as that query's answer, not stored as sent for the tab
 * to show unparsed once it switches there.
 */
function schemaOf(cache: Cache, key: QueryKey, segment: string | undefined): QueryOptions<unknown>['schema'] {
  const core = internalsOf(cache, false)
  let schema: QueryOptions<unknown>['schema']
  // Each segment's entry is looked up only until one has a schema.
  if (core) for (const each of [segment, undefined, ...core.index.segments.keys()]) schema ??= core.lookup(key, each, 'set')?.query?.schema
  return schema
}

function stateOf(readyState: number): StreamState {
  if (readyState === OPEN) return 'open'
  if (readyState === CLOSED) return 'closed'
  return 'connecting'
}

/**
 * The stream's identity, which scopes its event ids: the URL made absolute, so
 * tabs that name it differently ('/events', or an EventSource's own absolute
 * `url`) agree. '' when unknown (a passed-in source without `url`).
 */
function streamOf(options: ConnectOptions, source: EventSourceLike): string {
  const url = options.source === undefined ? options.url : (source as { url?: unknown }).url
  if (typeof url !== 'string') return ''
  const base = (globalThis as { location?: { href?: string } }).location?.href
  try {
    return new URL(url, base).href
  } catch {
    return url
  }
}

function openSource(options: ConnectOptions): EventSourceLike {
  if (options.url === undefined) {
    throw new Error('connectInvalidations: pass a `url` to connect to, or an EventSource as `source`.')
  }
  const Impl = options.eventSourceImpl ?? (globalThis as { EventSource?: typeof EventSource }).EventSource
  if (!Impl) {
    throw new Error(
      'connectInvalidations: no EventSource in this environment. Pass `eventSourceImpl` ' +
        "(in Node: `import { EventSource } from 'eventsource'`) or an open `source`.",
    )
  }
  return new Impl(options.url, { withCredentials: options.withCredentials ?? false })
}
