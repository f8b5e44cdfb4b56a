import type { ServerEvent } from './applied-events'
import type { InvalidationMessage } from './schema'

// What one tab posts to the others: a message in the server's own format, plus
// two relay-only fields naming the server event that caused it. They sit next
// to the message's fields rather than wrapping it, so a tab running an older
// cachet still accepts the message (its schema drops unknown fields) and only
// misses the de-duplication. The server message schema stays as it is: a
// server has no business sending these.

/** A relayed message: the server-format message, and the server event it came from, if any. */
export type RelayMessage = InvalidationMessage & {
  /** The server event's id (its `lastEventId`). */
  eventId?: string
  /** The stream that event came from ('' when unknown); scopes `eventId`. */
  stream?: string
}

// Ids and URLs are short; a bound keeps a misbehaving tab from parking
// megabytes in every other tab's memory of applied events. Two optional
// strings need no schema library: plain checks keep zod out of the main
// bundle (a module-level schema is code a bundler cannot drop).
export const MAX_LENGTH = 2_048

export type EnvelopeResult = { ok: true; serverEvent: ServerEvent | undefined } | { ok: false; reason: string }

function checkField(data: Record<string, unknown>, field: 'eventId' | 'stream', minLength: number): string | undefined {
  const value = data[field]
  if (value === undefined) return undefined
  if (typeof value !== 'string') return `${field}: expected string`
  if (value.length > MAX_LENGTH) return `${field}: longer than ${MAX_LENGTH}`
  if (value.length < minLength) return `${field}: must not be empty`
  return undefined
}

/**
 * Reads the relay-only fields of a received message (the message itself is
 * validated by the shared schema). A `stream` without an `eventId` is
 * meaningless, so it is rejected rather than ignored.
 */
export function parseRelayEnvelope(data: unknown): EnvelopeResult {
  const record = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>
  const problem = checkField(record, 'eventId', 1) ?? checkField(record, 'stream', 0)
  if (problem) return { ok: false, reason: problem }
  const eventId = record.eventId as string | undefined
  const stream = record.stream as string | undefined
  if (eventId === undefined) {
    return stream === undefined ? { ok: true, serverEvent: undefined } : { ok: false, reason: 'stream: given without eventId' }
  }
  return { ok: true, serverEvent: { id: eventId, stream: stream ?? '' } }
}
