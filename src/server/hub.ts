import type { IncomingMessage, ServerResponse } from 'node:http'
import { parseInvalidationMessage, type InvalidationMessage } from '../stream/schema'
import { jsonChange } from './json-change'
import { isGrant, segmentFilter, type Connection, type HubGrant } from './connection'
import { UnconfirmedAppendError, type EventStore, type StoredEvent } from './event-store'
import { memoryStore } from './memory-store'
import { encodeEvent, heartbeatFrame, heartbeatWithId, retryFrame, sseHeaders } from './sse'

export interface InvalidationHubOptions {
  /** Where events are kept for replay and shared between instances. Default `memoryStore()`. The hub closes it on `close()`. */
  store?: EventStore | undefined
  /**
   * Decides which segments a client may see; `null` answers 401. Default:
   * every client gets unsegmented events only. A throw answers 500.
   */
  authorize?: ((req: IncomingMessage) => Promise<HubGrant | null> | HubGrant | null) | undefined
  /** ms between SSE comment lines that keep proxies from closing idle streams. Default 15_000. */
  heartbeatMs?: number | undefined
}

export interface InvalidationHub {
  /** Validates and stores a message, then streams it to every client that may see it; resolves with its event id. */
  publish(message: InvalidationMessage): Promise<string>
  /** Node http / Express handler serving `text/event-stream`. */
  handler(req: IncomingMessage, res: ServerResponse): void
  /** Ends every connection, stops timers and closes the store. */
  close(): Promise<void>
}

// A client whose socket does not drain is dropped rather than buffered
// without bound; its EventSource reconnects with Last-Event-ID and is replayed.
const maxBufferedBytes = 1 << 20

const unsegmentedOnly = (): HubGrant => ({ segments: [] })

/** Settles when the response has written out what it buffered, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done)
      res.off('close', done)
      resolve()
    }
    res.once('drain', done)
    res.once('close', done)
  })
}

export function createInvalidationHub(options: InvalidationHubOptions = {}): InvalidationHub {
  const store = options.store ?? memoryStore()
  const authorize = options.authorize ?? unsegmentedOnly
  const heartbeatMs = options.heartbeatMs ?? 15_000
  // setInterval runs 0, a negative, NaN, Infinity or anything past 2^31 - 1 ms
  // every millisecond: a ping a millisecond to every client.
  if (typeof heartbeatMs !== 'number' || !(heartbeatMs >= 1 && heartbeatMs <= 2 ** 31 - 1)) {
    throw new RangeError(`createInvalidationHub: heartbeatMs must be between 1 and ${2 ** 31 - 1} ms (got ${String(heartbeatMs)})`)
  }
  const connections = new Set<Connection>()
  let heartbeat: ReturnType<typeof setInterval> | undefined
  let closing: Promise<void> | undefined
  // The newest event the store's subscription has delivered: a connection
  // registered now is parked (or sent) every event after it.
  let lastDelivered: string | undefined

  const unsubscribe = store.subscribe(deliver, endStreams)

  // The store lost events before this hub could deliver them: every stream
  // ends, each browser reconnects with its last id, and the replay answers
  // 'unavailable', so it refetches what it shows.
  function endStreams(): void {
    // The store reads on from where it lost track (a new life of a Redis
    // stream from its start, with ids maybe below this one): a connection
    // registered now must not stand at an id it may deliver events below.
    lastDelivered = undefined
    for (const connection of [...connections]) {
      forget(connection)
      connection.res.end()
    }
  }

  function deliver(event: StoredEvent): void {
    lastDelivered = event.id
    // Encoded once for every client: fan-out is then one write per socket.
    let frame: string | undefined
    for (const connection of connections) {
      if (!connection.live) {
        // Parked until its replay is written. A client that stops reading
        // mid-replay never gets there: past the allowance it is dropped, as a
        // live one is, and its reconnect replays from the store. Checked before
        // parking, as a live write is: one event larger than the allowance
        // (a big `set`) is parked whole.
        if (connection.parkedBytes > maxBufferedBytes) {
          forget(connection)
          connection.res.destroy()
          continue
        }
        frame ??= encodeEvent(event.id, event.message)
        connection.parkedBytes += frame.length
        connection.pending.push(event)
        continue
      }
      if (!advance(connection, event.id)) continue
      if (!connection.canSee(event.message)) continue
      writeEvent(connection, event.id, (frame ??= encodeEvent(event.id, event.message)))
    }
  }

  // Moves the connection's cursor past `id`; false when the client already
  // has that event (it was in the replay, or arrived twice).
  function advance(connection: Connection, id: string): boolean {
    if (connection.cursor !== undefined && store.compare(id, connection.cursor) <= 0) return false
    connection.cursor = id
    return true
  }

  /** Sends an event the client may see, unless its cursor is already past it. */
  function send(connection: Connection, event: StoredEvent): void {
    if (!advance(connection, event.id)) return
    if (connection.canSee(event.message)) writeEvent(connection, event.id, encodeEvent(event.id, event.message))
  }

  /** Writes one event's frame; its id is then what the client's EventSource holds. */
  function writeEvent(connection: Connection, id: string, frame: string): void {
    write(connection, frame)
    connection.sentId = id
  }

  function write(connection: Connection, frame: string): void {
    const { res } = connection
    // Checked before writing: what is still buffered from earlier writes is
    // what the client failed to read.
    const before = res.writableLength
    if (connection.live) {
      if (before > connection.bufferLimit) return void res.destroy()
      // What the client has read since is no longer owed: the limit follows the buffer down.
      connection.bufferLimit = Math.min(connection.bufferLimit, before + maxBufferedBytes)
    }
    res.write(frame)
    // One event larger than the allowance (a big `set`) is written whole, and
    // the allowance counts from its end: a client reading it is not taken for
    // a stalled one when an event or heartbeat follows before it has read it.
    const after = res.writableLength
    if (after - before > maxBufferedBytes) connection.bufferLimit = Math.max(connection.bufferLimit, after + maxBufferedBytes)
  }

  function startHeartbeat(): void {
    if (heartbeat !== undefined) return
    heartbeat = setInterval(() => {
      for (const connection of connections) {
        // Past events it may not see, the client's last event id moves too
        // (an id with no data fires no event), so a reconnect under other
        // segments' traffic is replayed, not 'unavailable' once that id ages out.
        const { cursor } = connection
        if (connection.live && cursor !== undefined && cursor !== connection.sentId) {
          write(connection, heartbeatWithId(cursor))
          connection.sentId = cursor
        } else write(connection, heartbeatFrame)
      }
    }, heartbeatMs)
    // The heartbeat alone must not keep a process alive.
    heartbeat.unref?.()
  }

  function forget(connection: Connection): void {
    connections.delete(connection)
    if (connections.size === 0 && heartbeat !== undefined) {
      clearInterval(heartbeat)
      heartbeat = undefined
    }
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // The client may have left before the hub was called (async middleware
    // ran first): its 'close' has already fired and will not fire again.
    if (res.destroyed || res.writableEnded) return
    if (closing) return void res.writeHead(503).end()
    if (req.method !== 'GET') return void res.writeHead(405, { Allow: 'GET' }).end()
    // Listened for from the start: a client may leave while `authorize` or
    // the store is awaited, and its connection must not outlive it.
    let gone = false
    let connection: Connection | undefined
    res.once('close', () => {
      gone = true
      if (connection) forget(connection)
    })
    let grant: unknown
    try {
      grant = await authorize(req)
    } catch {
      if (!gone) res.writeHead(500).end()
      return
    }
    if (gone) return
    if (closing) return void res.writeHead(503).end()
    if (grant === null) return void res.writeHead(401).end()
    if (!isGrant(grant)) return void res.writeHead(500).end()

    res.writeHead(200, sseHeaders)
    res.socket?.setNoDelay(true)
    // First, so that a stream the hub ends before its sync (the store is down) spreads its reconnects too.
    res.write(retryFrame())
    connection = { res, canSee: segmentFilter(grant), live: false, pending: [], parkedBytes: 0, cursor: undefined, joinedAfter: lastDelivered, sentId: undefined, bufferLimit: 0 }
    // Registered before the store is read, so that an event stored meanwhile
    // is parked in `pending` rather than lost:
    //   subscribe ── read replay / head ── sync ── pending (ids > cursor) ── live
    connections.add(connection)
    startHeartbeat()

    try {
      const replay = await replayMissed(connection, lastEventId(req))
      if (!connections.has(connection)) return
      // Without a replay, the head read may already count an event parked
      // meanwhile. That event goes out after the sync, so the sync must not
      // carry its id (the client would stand past an event it has not got,
      // and ids would go backwards): the client then stands where the
      // subscription was when it registered, and everything later follows.
      const firstParked = connection.pending[0]
      if (replay !== 'complete' && firstParked && connection.cursor !== undefined && store.compare(firstParked.id, connection.cursor) <= 0) {
        connection.cursor = connection.joinedAfter
      }
      // The sync event carries the cursor as its id: the newest event the
      // client is now current with (the last replayed one, or the store's head).
      // A browser that reconnects sends it back and gets an exact replay, even
      // if no event reached it on this connection. It is omitted only while
      // there is none: the store has no head (an empty Redis stream; a memory
      // store's head is then its birth id), or the cursor fell back above to a
      // subscription that had delivered nothing yet (none since the store
      // lost track, see endStreams). That leaves the browser's last event id
      // as it was.
      write(connection, encodeEvent(connection.cursor, { type: 'sync', replay }))
      connection.sentId = connection.cursor
      // A replay is written in one go and may exceed the limit on its own.
      connection.bufferLimit = res.writableLength + maxBufferedBytes
      connection.live = true
      const parked = connection.pending
      connection.pending = []
      // After a replay, the parked events it already carried are skipped;
      // otherwise every parked event is after the cursor, and is sent.
      for (const event of parked) send(connection, event)
    } catch {
      // The store is unreachable: end the stream. EventSource reconnects on
      // its own and the next attempt replays from the same Last-Event-ID.
      forget(connection)
      res.end()
    }
  }

  async function replayMissed(connection: Connection, after: string | undefined): Promise<'none' | 'complete' | 'unavailable'> {
    if (after === undefined) {
      connection.cursor = await store.lastId()
      return 'none'
    }
    const events = await store.readAfter(after)
    if (events === 'unavailable') {
      connection.cursor = await store.lastId()
      return 'unavailable'
    }
    connection.cursor = after
    for (const event of events) {
      if (!connections.has(connection)) break
      send(connection, event)
      // A replay larger than the allowance goes out as the client reads it:
      // one that never reads holds about 1 MiB here, not the whole replay.
      // Sockets that buffer more before they ask to drain (a larger
      // `highWaterMark`) emit no 'drain' until then: waiting earlier would hang.
      // (Node's HTTP/2 compatibility response has no writableNeedDrain.)
      const { res } = connection
      if (res.writableLength > maxBufferedBytes && res.writableNeedDrain !== false) await drained(res)
    }
    return 'complete'
  }

  async function publish(message: InvalidationMessage): Promise<string> {
    if (closing) throw new Error('cachet/server: cannot publish, the hub is closed')
    const parsed = parseInvalidationMessage(message, false)
    if (!parsed.ok) throw new Error(`cachet/server: cannot publish an invalid message: ${parsed.reason}`)
    if (parsed.message.type === 'sync') {
      throw new Error("cachet/server: cannot publish a 'sync' message: the hub sends it itself after each replay")
    }
    // The schema drops a field it does not know. Here that would turn a typo into
    // a wider message: a misspelt `segment` sends a `set`'s data to every segment.
    // (Browsers still ignore unknown fields: a newer hub may add some.)
    const { type } = parsed.message
    for (const [field, value] of Object.entries(message)) {
      if (value !== undefined && !(field in parsed.message)) {
        throw new Error(`cachet/server: cannot publish an invalid message: unknown field ${JSON.stringify(field)} in ${type === 'invalidate' ? 'an' : 'a'} '${type}' message (it would be sent without it)`)
      }
    }
    // Stored as the JSON every client will receive: a message JSON cannot
    // encode (a BigInt, a cycle) is refused here instead of being stored and
    // then failing every live send and replay over it, and the stored copy no
    // longer shares objects the caller may mutate later.
    let snapshot: InvalidationMessage
    try {
      snapshot = JSON.parse(JSON.stringify(parsed.message)) as InvalidationMessage
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      throw new Error(`cachet/server: cannot publish a message that is not JSON-serializable: ${reason}`, { cause: error })
    }
    // What JSON changes on the way is refused too, as every browser would get
    // another message than the one published: a `set` whose data is
    // `undefined` arrives without data (and is rejected by every browser), a
    // key element `undefined` or NaN arrives as null (another entry), a Date
    // as a string. (`data` is JSON like a fetch's answer: only its absence counts.)
    if (parsed.message.type === 'set' && parsed.message.data === undefined) {
      throw new Error('cachet/server: cannot publish a set whose data is undefined: JSON cannot send it (publish null, or invalidate the key)')
    }
    const { key } = parsed.message as { key?: unknown }
    const change = key === undefined ? undefined : jsonChange(key, 'key')
    const sent = parseInvalidationMessage(snapshot, false)
    const reason = change ?? (sent.ok ? undefined : sent.reason)
    if (reason) throw new Error(`cachet/server: cannot publish a message that JSON would change: ${reason}`)
    try {
      return await store.append(snapshot)
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error)
      if (error instanceof UnconfirmedAppendError) {
        throw new Error(`cachet/server: the event store did not confirm the message, which may still reach every client: ${reason}`, { cause: error })
      }
      throw new Error(`cachet/server: the message was not stored, the event store failed: ${reason}`, { cause: error })
    }
  }

  async function shutDown(): Promise<void> {
    unsubscribe()
    for (const connection of connections) connection.res.end()
    connections.clear()
    if (heartbeat !== undefined) clearInterval(heartbeat)
    heartbeat = undefined
    await store.close()
  }

  return {
    publish,
    handler(req, res) {
      serve(req, res).catch(() => {
        // serve() handles its own failures; this only guards against an
        // unhandled rejection if the socket broke in between.
        if (!res.destroyed) res.destroy()
      })
    },
    close() {
      closing ??= shutDown()
      return closing
    },
  }
}

function lastEventId(req: IncomingMessage): string | undefined {
  const value = req.headers['last-event-id']
  const id = Array.isArray(value) ? value[0] : value
  return id === undefined || id.trim() === '' ? undefined : id.trim()
}
