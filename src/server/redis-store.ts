import { setMaxListeners } from 'node:events'
import type { Redis, RedisOptions } from 'ioredis'
import { parseInvalidationMessage, type InvalidationMessage } from '../stream/schema'
import { UnconfirmedAppendError, type EventStore, type StoredEvent } from './event-store'
import { compareStreamIds, isStreamId } from './stream-id'

export interface RedisStoreOptions {
  /** Default `redis://127.0.0.1:6379`. */
  url?: string | undefined
  /** Key of the Redis stream. Default `cachet:invalidations`. */
  stream?: string | undefined
  /** How many of the newest events are kept for replay (exact `XADD MAXLEN`, plus one boundary entry). Default 10_000. */
  retain?: number | undefined
}

// How long a command waits for a (re)connection or an answer before it fails:
// a publish during an outage rejects within this time instead of hanging.
const readyTimeoutMs = 2_000
const commandTimeoutMs = 2_000
// XREAD BLOCK returns empty after this long; the loop then simply reads again.
const blockMs = 5_000
// Entries one read takes: the last one delivered, which it checks is still there, and up to 1000 more.
const readCount = 1001
// Entries one replay read takes (a replay reads on until a page comes back short).
const replayPage = 500
const maxBackoffMs = 2_000
// The field under which each entry keeps its message as JSON.
const messageField = 'm'

interface Clients {
  commands: Redis
  /** Opens the dedicated connection for blocking reads. */
  openReader: () => Redis
}

/**
 * Events in a Redis stream: `XADD … MAXLEN retain` stores, `XRANGE` replays,
 * and a blocking `XREAD` loop on its own connection delivers every new entry
 * (from any hub instance) to this one. ioredis is loaded on first use, so
 * users of `memoryStore` need not install it.
 *
 * Retention is exact (`MAXLEN`, not `MAXLEN ~`): the contract promises the
 * last `retain` events, and at invalidation rates trimming one entry per
 * XADD costs nothing noticeable. The stream holds one entry more than that:
 * the oldest one marks the boundary. Redis does not record the newest id it
 * trimmed (`max-deleted-entry-id` follows XDEL only), so without the marker a
 * client that saw exactly the last trimmed event could not be told apart from
 * one that missed events. With it, an id at or above the first entry misses
 * nothing, and replays, like the memory store's, hold at most `retain` events.
 */
export function redisStore(options: RedisStoreOptions = {}): EventStore {
  const url = options.url ?? 'redis://127.0.0.1:6379'
  const stream = options.stream ?? 'cachet:invalidations'
  const retain = options.retain ?? 10_000
  if (!Number.isInteger(retain) || retain < 1) {
    throw new RangeError(`redisStore: retain must be a positive integer (got ${String(retain)})`)
  }
  const where = `Redis at ${redactPassword(url)}`
  const listeners = new Set<(event: StoredEvent) => void>()
  const lostListeners = new Set<() => void>()
  let clients: Promise<Clients> | undefined
  let closed = false
  const closing = new AbortController()
  // Every caller waiting for a connection listens on it (see whenReady):
  // thousands at once when tabs reconnect to a hub that has just started.
  setMaxListeners(0, closing.signal)
  let backoffTimer: ReturnType<typeof setTimeout> | undefined
  // Settles once the reader knows where it starts. Replays and head reads
  // wait for it, so every event after the head a client is given is one the
  // reader will deliver.
  let readerStart: Promise<void> | undefined
  let reader: Redis | undefined
  // Why the reader's last attempt failed, for the error of a caller that
  // waited for it in vain (a key of another type is not an outage).
  let readerError: Error | undefined

  function connect(): Promise<Clients> {
    clients ??= openClients(url)
    return clients
  }

  async function commandsReady(): Promise<Redis> {
    const { commands } = await connect()
    await whenReady(commands, where, 'fail-fast', closing.signal)
    if (readerStart) {
      await withTimeout(readerStart, readyTimeoutMs, () =>
        readerError && !/unreachable|connection is closed/i.test(readerError.message)
          ? `${where}: the stream reader cannot start: ${readerError.message}`
          : `${where} is unreachable: the stream reader has not started`,
      )
    }
    return commands
  }

  // A replay or head read on the commands connection. Unanswered within its
  // timeout, that connection may have died without a word, as the reader's
  // may (see readLoop): it reconnects, and serves the next caller. (Only
  // reads: dropping it under an XADD that Redis has paused would discard it.)
  async function read<T>(run: (commands: Redis) => Promise<T>): Promise<T> {
    const commands = await commandsReady()
    try {
      return await run(commands)
    } catch (error) {
      if (!closed && (error as Error).message === 'Command timed out') commands.disconnect(true)
      throw error
    }
  }

  function startReader(): void {
    if (readerStart) return
    let started!: () => void
    readerStart = new Promise((resolve) => (started = resolve))
    void connect().then(({ openReader }) => {
      if (closed) return
      reader = openReader()
      return readLoop(reader, started)
    }, () => {})
  }

  async function readLoop(reader: Redis, started: () => void): Promise<void> {
    // The last entry delivered ('0-0' before any). A read after it follows on
    // only while the stream still holds it: a stream that lost its history
    // (Redis restarted without persistence, or failed over to a node the last
    // writes never reached) starts a new life, and on a host whose clock is
    // behind, its ids lie below `after`, where reading after it skips them.
    let after: string | undefined
    // The id a blocking read that delivered entries started from: they
    // followed on from it only if the stream still holds it (or was trimmed
    // past it), which the next read checks.
    let woke: string | undefined
    let backoff = 0
    while (!closed) {
      try {
        await whenReady(reader, where, 'wait', closing.signal)
        if (after === undefined) {
          after = (await newestId(reader, stream)) ?? '0-0'
          started()
        }
        // The entries from `after` on (itself included while the stream holds
        // it), with the stream's info in the same transaction.
        const transaction = reader.multi().xinfo('STREAM', stream)
        if (woke !== undefined) transaction.xrange(stream, woke, woke)
        const results = await transaction.xrange(stream, after, '+', 'COUNT', readCount).exec()
        const [info, ...ranges] = results ?? []
        if (!info || ranges.length !== (woke === undefined ? 1 : 2)) throw new Error(`${where} aborted the read transaction`)
        for (const [error] of ranges) if (error) throw error
        // An error here is a missing key (nothing stored yet, or since Redis restarted).
        const held = info[0] ? undefined : parseStreamInfo(info[1])
        const first = held?.firstEntryId
        const read = ranges.at(-1)![1] as XEntry[]
        // The stream lacks `id` but holds entries at or below it: a new life,
        // whose first events the reader never read.
        const skipped = (id: string, holds: boolean) => !holds && first !== undefined && compareStreamIds(id, first) >= 0
        if (skipped(after, read[0]?.[0] === after) || (woke !== undefined && skipped(woke, (ranges[0]![1] as XEntry[]).length > 0))) {
          // Every stream ends (each browser's reconnect is answered
          // 'unavailable'), and the reader reads the new life from its start.
          lost()
          after = '0-0'
          woke = undefined
          continue
        }
        woke = undefined
        // Below the oldest entry (the boundary) everything was trimmed, so a
        // reader whose last id is below it (it was disconnected, or busy, while
        // more than `retain` events were stored) lost events it can never deliver.
        if (read[0]?.[0] !== after && first !== undefined && fellBehind(held!, after)) lost()
        backoff = 0
        deliver(read)
        if (read.length === readCount) continue
        // Caught up: wait for the next entry. A reader blocked here wakes at
        // each XADD, before the entry after `after` can be trimmed. What it
        // gets is delivered at once when the read above found `after` (or the
        // reader has delivered none); otherwise (the key is gone) it is only
        // read again above, where its place in the stream is checked.
        const reply = (await reader.xread('COUNT', 1000, 'BLOCK', blockMs, 'STREAMS', stream, held?.lastGeneratedId ?? '0-0')) as XReadReply | null
        if (reply && (after === '0-0' || read.at(-1)?.[0] === after)) {
          if (after !== '0-0') woke = after
          for (const [, entries] of reply) deliver(entries)
        }
      } catch (error) {
        if (closed) return
        readerError = error instanceof Error ? error : new Error(String(error))
        // A read unanswered within its timeout: Redis is hung, or the
        // connection died without a word (no reset), where ioredis would wait
        // until the OS gives up on the socket, many minutes. A new connection
        // reads on after the last entry delivered.
        if (readerError.message === 'Command timed out') reader.disconnect(true)
        backoff = Math.min(Math.max(backoff * 2, 100), maxBackoffMs)
        await new Promise<void>((resolve) => {
          backoffTimer = setTimeout(resolve, backoff)
          backoffTimer.unref?.()
        })
      }
    }

    // Emits the entries after `after`, in order (a read from `after` starts
    // with that entry itself).
    function deliver(entries: XEntry[]): void {
      for (const [id, fields] of entries) {
        if (after !== undefined && compareStreamIds(id, after) <= 0) continue
        // Resume after the last entry seen, so an outage loses nothing that was stored.
        after = id
        const event = toEvent(id, fields)
        if (event) emit(event)
      }
    }
  }

  function lost(): void {
    for (const listener of [...lostListeners]) listener()
  }

  function emit(event: StoredEvent): void {
    for (const listener of [...listeners]) {
      try {
        listener(event)
      } catch {
        // One failing listener must not keep the event from the others.
      }
    }
  }

  return {
    async append(message: InvalidationMessage) {
      if (closed) throw new Error('redisStore: the store is closed')
      const commands = await commandsReady()
      // ioredis writes a command at once while the connection is ready; otherwise it rejects it unsent.
      const sent = commands.status === 'ready'
      let id: string | null
      try {
        id = await commands.xadd(stream, 'MAXLEN', retain + 1, '*', messageField, JSON.stringify(message))
      } catch (error) {
        const reason = (error as Error).message
        // Sent, but not answered: Redis is slow (or has paused its clients), or
        // the connection dropped before the answer came back. Redis may have
        // stored it, or still run it, and then every hub's reader delivers it.
        // Saying "not stored" would be wrong. (An answer that is an error, like
        // OOM, and a command ioredis never wrote, were not stored.)
        if (reason === 'Command timed out') {
          throw new UnconfirmedAppendError(`${where} did not answer XADD within ${commandTimeoutMs} ms, and may still store it`, { cause: error })
        }
        if (sent && (error as Error).name !== 'ReplyError' && !/isn't writeable/.test(reason)) {
          throw new UnconfirmedAppendError(`${where} lost the connection before it answered XADD (${reason}), and may have stored it`, { cause: error })
        }
        // Say which server and what failed.
        throw new Error(`${where} failed to XADD: ${reason}`, { cause: error })
      }
      if (id === null) throw new Error(`${where} did not store the message`)
      return id
    },

    async readAfter(id: string) {
      if (!isStreamId(id)) return 'unavailable'
      return read((commands) => replayAfter(commands, stream, id, where))
    },

    async lastId() {
      return read((commands) => newestId(commands, stream))
    },

    subscribe(listener, lost) {
      if (closed) return () => {}
      listeners.add(listener)
      if (lost) lostListeners.add(lost)
      startReader()
      return () => {
        listeners.delete(listener)
        if (lost) lostListeners.delete(lost)
      }
    },

    compare: compareStreamIds,

    async close() {
      if (closed) return
      closed = true
      closing.abort()
      listeners.clear()
      lostListeners.clear()
      if (backoffTimer !== undefined) clearTimeout(backoffTimer)
      if (!clients) return
      const opened = await clients.catch(() => undefined)
      // The reader is blocked in XREAD: only dropping its socket ends that.
      reader?.disconnect()
      if (!opened) return
      if (opened.commands.status === 'ready') await opened.commands.quit().catch(() => opened.commands.disconnect())
      else opened.commands.disconnect()
    },
  }
}

type XEntry = [id: string, fields: string[]]
type XReadReply = [stream: string, entries: XEntry[]][]

interface StreamInfo {
  lastGeneratedId: string | undefined
  firstEntryId: string | undefined
  /** Entries ever added, and entries held now (entries-added is Redis 7+). */
  entriesAdded: number | undefined
  length: number | undefined
}

/**
 * Whether a reader whose last id `after` lies below the stream's first entry
 * missed entries: more were added than are held. A stream that holds every
 * entry it was ever given lost none: it is a new life (Redis restarted
 * without persistence) whose ids all follow `after`, or the reader has read
 * none yet ('0-0'). Without `entries-added` (Redis 6), a reader that has read
 * some counts as behind.
 */
function fellBehind(info: StreamInfo, after: string): boolean {
  if (info.entriesAdded === undefined || info.length === undefined) return after !== '0-0'
  return info.entriesAdded > info.length
}

function parseStreamInfo(reply: unknown): StreamInfo {
  const fields = Array.isArray(reply) ? reply : []
  const get = (name: string): unknown => {
    const at = fields.indexOf(name)
    return at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined
  }
  const first = get('first-entry')
  const asString = (v: unknown) => (typeof v === 'string' ? v : undefined)
  const asNumber = (v: unknown) => (typeof v === 'number' ? v : undefined)
  return {
    lastGeneratedId: asString(get('last-generated-id')),
    firstEntryId: Array.isArray(first) ? asString(first[0]) : undefined,
    entriesAdded: asNumber(get('entries-added')),
    length: asNumber(get('length')),
  }
}

/**
 * The entries after `id`, read in pages, so that neither Redis (in the
 * client's output buffer) nor this process holds a whole replay's reply at once.
 */
async function replayAfter(commands: Redis, stream: string, id: string, where: string): Promise<StoredEvent[] | 'unavailable'> {
  const events: StoredEvent[] = []
  for (let from = id; ; ) {
    // `from` is covered when the stream still holds that entry: every id the
    // hub gives a browser is one, and trimming removes the oldest first, so
    // the events after it are all there. Not a comparison with the first and
    // last ids: a new life of the stream (Redis restarted without
    // persistence, on a host whose clock is behind) can hold ids around an
    // old life's id, above new events the replay would then skip. One
    // transaction per page, so that no trimming slips in between the check
    // and the range read; a page that finds the last one's end trimmed
    // answers 'unavailable', as a later reconnect would have been told.
    const results = await commands.multi().xrange(stream, from, from).xrange(stream, `(${from}`, '+', 'COUNT', replayPage).exec()
    const [own, range] = results ?? []
    if (!own || !range) throw new Error(`${where} aborted the replay transaction`)
    const failed = own[0] ?? range[0]
    if (failed) {
      // The key is no stream: a real fault. Otherwise an id Redis cannot range
      // over (at or beyond its 64-bit parts' limits) is unknown here.
      if (/^WRONGTYPE/.test(failed.message)) throw failed
      return 'unavailable'
    }
    if ((own[1] as XEntry[]).length !== 1) return 'unavailable'
    const page = range[1] as XEntry[]
    for (const [entryId, fields] of page) {
      const event = toEvent(entryId, fields)
      if (event) events.push(event)
    }
    if (page.length < replayPage) return events
    from = page.at(-1)![0]
  }
}

async function newestId(client: Redis, stream: string): Promise<string | undefined> {
  const newest = (await client.xrevrange(stream, '+', '-', 'COUNT', 1)) as XEntry[]
  return newest[0]?.[0]
}

// Entries come from any writer of the stream: anything that is not a valid
// message is skipped rather than sent to browsers.
function toEvent(id: string, fields: string[]): StoredEvent | undefined {
  const at = fields.indexOf(messageField)
  const json = at >= 0 && at % 2 === 0 ? fields[at + 1] : undefined
  if (json === undefined) return undefined
  const parsed = parseInvalidationMessage(json)
  return parsed.ok ? { id, message: parsed.message } : undefined
}

async function openClients(url: string): Promise<Clients> {
  let Client: typeof Redis
  try {
    Client = (await import('ioredis')).Redis
  } catch (error) {
    throw new Error("redisStore needs the 'ioredis' package: npm install ioredis", { cause: error })
  }
  const options: RedisOptions = {
    // Fail fast while disconnected instead of queueing: a publish must
    // reject clearly during an outage, not wait for Redis to come back.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    connectTimeout: readyTimeoutMs,
    // Keep reconnecting for as long as the store is open.
    retryStrategy: (times) => Math.min(50 * 2 ** times, maxBackoffMs),
  }
  // ioredis (untyped option) waits this long for a socket to close after a
  // disconnect, with a timer that outlives a socket already gone in an
  // outage; 2 s by default would hold a closing process open that long.
  Object.assign(options, { disconnectTimeout: 250 })
  // Failures reach callers through the commands that fail; without an
  // error listener ioredis would print every failed reconnect attempt.
  const open = (extra: RedisOptions) => {
    const client = new Client(url, { ...options, ...extra })
    // Each caller waiting for 'ready' (whenReady) adds a listener until it
    // settles; any number may wait at once, and that is no leak.
    client.setMaxListeners(0)
    client.on('error', (error: Error) => lastErrors.set(client, error))
    client.on('ready', () => {
      connectedBefore.add(client)
      lastErrors.delete(client)
    })
    return client
  }
  return {
    commands: open({ commandTimeout: commandTimeoutMs }),
    // XREAD BLOCK legitimately waits `blockMs`; past that, Redis is hung.
    openReader: () => open({ commandTimeout: blockMs + commandTimeoutMs }),
  }
}

// Clients that have been connected at least once: when one of them is not
// ready now, Redis has gone away, and a command fails at once rather than
// waiting (the first connection, at startup, is worth waiting for).
const connectedBefore = new WeakSet<Redis>()
// Why each client's last connection attempt failed (a refused connection, an
// unknown host, a wrong password), for the error of a caller that waited in vain.
const lastErrors = new WeakMap<Redis, Error>()
const lastError = (client: Redis) => {
  const error = lastErrors.get(client)
  return error ? `; last error: ${error.message}` : ''
}

function whenReady(client: Redis, where: string, mode: 'wait' | 'fail-fast', closing: AbortSignal): Promise<void> {
  if (client.status === 'ready') return Promise.resolve()
  if (client.status === 'end') return Promise.reject(new Error(`${where}: the connection is closed`))
  if (mode === 'fail-fast' && connectedBefore.has(client)) {
    return Promise.reject(new Error(`${where} is unreachable (connection lost, ${client.status}${lastError(client)})`))
  }
  return new Promise((resolve, reject) => {
    const settle = (error?: Error) => {
      clearTimeout(timer)
      client.off('ready', onReady)
      client.off('end', onEnd)
      closing.removeEventListener('abort', onEnd)
      if (error) reject(error)
      else resolve()
    }
    const onReady = () => settle()
    // Closing the store stops the wait at once, rather than holding the
    // process open until the timer fires (a client closed while it was
    // reconnecting does not always emit 'end').
    const onEnd = () => settle(new Error(`${where}: the connection is closed`))
    const timer = setTimeout(
      () => settle(new Error(`${where} is unreachable (no connection within ${readyTimeoutMs} ms, ioredis status: ${client.status}${lastError(client)})`)),
      readyTimeoutMs,
    )
    client.once('ready', onReady)
    client.once('end', onEnd)
    closing.addEventListener('abort', onEnd)
  })
}

function withTimeout(promise: Promise<void>, ms: number, message: () => string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message())), ms)
    // Only a bound: it must not keep the process alive by itself.
    timer.unref?.()
    promise.then(() => {
      clearTimeout(timer)
      resolve()
    }, reject)
  })
}

// ioredis reads the URL with WHATWG URL: the userinfo ends at the last '@'
// before the host (a password may hold a raw '@'), and a `password` query
// parameter is honoured too. Both are hidden; so is the whole URL if it
// cannot be parsed the same way.
function redactPassword(url: string): string {
  const hidePassword = (text: string) => text.replace(/([?&]password=)[^&#]*/gi, '$1***')
  const hasScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(url)
  let parsed: URL
  try {
    parsed = new URL(hasScheme ? url : `redis://${url}`)
  } catch {
    return hidePassword(url.replace(/^(.*\/\/)?.*@/, '$1***@'))
  }
  const auth = parsed.username || parsed.password ? '***@' : ''
  // (Not `parsed.host`: the build shortens that property name, see tsup.config.ts.)
  const path = parsed.pathname === '/' ? '' : parsed.pathname
  return `${hasScheme ? `${parsed.protocol}//` : ''}${auth}${parsed.hostname}${parsed.port ? `:${parsed.port}` : ''}${path}${hidePassword(parsed.search)}`
}
