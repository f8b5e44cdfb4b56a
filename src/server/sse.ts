import type { OutgoingHttpHeaders } from 'node:http'
import type { InvalidationMessage } from '../stream/schema'

/**
 * Headers of the event stream: never cached or transformed (compression
 * middleware would buffer events), and `X-Accel-Buffering: no` so nginx
 * passes each event through at once.
 */
export const sseHeaders: OutgoingHttpHeaders = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
}

/**
 * The reconnection time each stream asks its browser for, drawn anew per
 * connection between 1 and 5 s (browsers wait about 3 s by default). When a
 * hub closes for a deploy, its store goes down or its reader falls behind,
 * it ends every stream it serves at once; with one fixed delay every browser
 * would come back in the same instant, replay or refetch together, and meet
 * the next instance or the backend as one wave.
 */
export function retryFrame(): string {
  return `retry: ${1000 + Math.floor(Math.random() * 4000)}\n\n`
}

/** A comment line: ignored by EventSource, but keeps proxies from closing an idle stream. */
export const heartbeatFrame = ': ping\n\n'

/**
 * The heartbeat with an id and no data: EventSource fires no event for it,
 * but takes the id as its last event id (the SSE spec; Chromium does).
 */
export function heartbeatWithId(id: string): string {
  return `: ping\nid: ${id}\n\n`
}

/**
 * One SSE event. JSON.stringify escapes line breaks inside strings, so the
 * message always fits on one `data:` line. Without an id the event leaves the
 * browser's last event id as it was.
 */
export function encodeEvent(id: string | undefined, message: InvalidationMessage): string {
  const data = `data: ${JSON.stringify(message)}\n\n`
  return id === undefined ? data : `id: ${id}\n${data}`
}
