// Every change to an entry is a patch of its state fields; the entry applies
// it, recomputes staleness and drops the snapshot it had published.

/** The state fields a change may set. */
export interface EntryPatch {
  data?: unknown
  error?: Error | undefined
  updatedAt?: number
  /** undefined: no success (a remove); updatedAt is a clock time, and 0 is one. */
  sinceOrigin?: number | undefined
  etag?: string | undefined
  model?: string | undefined
  modelVersion?: string | undefined
}

/** What a success (a fetch's data or a `set`) leaves; a `set` leaves a fetch in flight running. */
export function succeeded(
  data: unknown,
  etag: string | undefined,
  model: string | undefined,
  modelVersion: string | undefined,
  at: number,
): EntryPatch {
  return { data, error: undefined, updatedAt: at, etag, model, modelVersion }
}
