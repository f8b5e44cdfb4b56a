import * as z from 'zod/mini'
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
// megabytes in every other tab's memory of applied events.
const MAX_LENGTH = 2_048
const bounded = z.string().check(z.maxLength(MAX_LENGTH))

const relayFields = z.object({
  eventId: z.optional(bounded.check(z.minLength(1))),
  stream: z.optional(bounded),
})

export type EnvelopeResult = { ok: true; serverEvent: ServerEvent | undefined } | { ok: false; reason: string }

/**
 * Reads the relay-only fields of a received message (the message itself is
 * validated by the shared schema). A `stream` without an `eventId` is
 * meaningless, so it is rejected rather than ignored.
 */
export function parseRelayEnvelope(data: unknown): EnvelopeResult {
  const result = relayFields.safeParse(data)
  if (!result.success) {
    const issue = result.error.issues[0]!
    const field = String(issue.path[0] ?? 'envelope')
    const why = issue.code === 'too_big' ? `longer than ${MAX_LENGTH}` : issue.code === 'too_small' ? 'must not be empty' : 'expected string'
    return { ok: false, reason: `${field}: ${why}` }
  }
  const { eventId, stream } = result.data
  if (eventId === undefined) {
    return stream === undefined ? { ok: true, serverEvent: undefined } : { ok: false, reason: 'stream: given without eventId' }
  }
  return { ok: true, serverEvent: { id: eventId, stream: stream ?? '' } }
}
