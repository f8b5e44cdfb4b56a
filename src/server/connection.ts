import type { ServerResponse } from 'node:http'
import type { InvalidationMessage } from '../stream/schema'

/** What `authorize` grants a client: the segments whose events it may receive. */
export interface HubGrant {
  segments: readonly string[] | 'all'
}

/**
 * One open event stream. It starts in replay: live events that arrive while
 * the store is read are parked in `pending`, and go out after the `sync`
 * message unless the replay already carried them.
 */
export interface Connection {
  readonly res: ServerResponse
  readonly canSee: (message: InvalidationMessage) => boolean
  live: boolean
  pending: { id: string; message: InvalidationMessage }[]
  /** The encoded size of `pending`: a client parked past maxBufferedBytes is dropped. */
  parkedBytes: number
  /** The newest event id this client is past; only later events are sent. */
  cursor: string | undefined
  /** The newest event the hub had delivered when this connection registered: the one before its first parked event. */
  joinedAfter: string | undefined
  /** The last id written to it: what its EventSource would send back as Last-Event-ID. */
  sentId: string | undefined
  /** Live writes past this many buffered bytes drop the client (it reconnects and is replayed). */
  bufferLimit: number
}

/**
 * A client sees the events of its granted segments and every event that
 * names no segment (`model-version` never does).
 */
export function segmentFilter(grant: HubGrant): (message: InvalidationMessage) => boolean {
  if (grant.segments === 'all') return () => true
  const allowed = new Set(grant.segments)
  return (message) => {
    const segment = 'segment' in message ? message.segment : undefined
    return segment === undefined || allowed.has(segment)
  }
}

export function isGrant(value: unknown): value is HubGrant {
  if (typeof value !== 'object' || value === null) return false
  const segments = (value as { segments?: unknown }).segments
  return segments === 'all' || (Array.isArray(segments) && segments.every((s) => typeof s === 'string'))
}
