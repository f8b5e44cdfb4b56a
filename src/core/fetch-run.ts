import type { CacheCore } from './cache-core'
import type { Flight, QueryEntry } from './entry'
import { succeeded, type EntryPatch } from './entry-state'
import { formatKey, formatPath } from './key'
import { isNotModified, isVersioned } from './result'
import { away } from './environment'
import { delay } from './scheduler'
import type { FetchContext, QueryKey } from './types'

/** Retry backoff: 1 s, 2 s, 4 s … capped at 30 s. */
export function backoff(attempt: number): number {
  return Math.min(1000 * 2 ** attempt, 30_000)
}

/** An error whose `status` is 400–499 is the caller's mistake: retrying cannot help. */
export function isRetryable(error: Error): boolean {
  const status = (error as { status?: unknown }).status
  return !(typeof status === 'number' && status >= 400 && status < 500)
}

/** A fetcher that throws a string or an object still yields a real Error. */
export function toError(thrown: unknown, entry: QueryEntry): Error {
  if (thrown instanceof Error) return thrown
  const error = new Error(
    `cachet: the fetcher for key ${formatKey(entry.key, entry.segment)} threw a non-Error: ${describeThrown(thrown)}`,
    { cause: thrown },
  )
  const status = (thrown as { status?: unknown } | null)?.status
  if (typeof status === 'number') (error as Error & { status: number }).status = status
  return error
}

function describeThrown(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}

/**
 * What a fetcher is given. A class, not an object literal: a literal with a
 * getter is built through V8's slow path, about 400 ns and 670 B a fetch
 * against 10 ns and 70 B. `signal` is a getter on the prototype, so the
 * AbortController is made only for a fetcher that reads it (destructuring
 * reads it; `{ ...ctx }` does not copy it).
 */
class Context implements FetchContext {
  // Declared, not defined: the constructor assigns each one (fewer bytes).
  declare readonly key: QueryKey
  declare readonly segment: string | undefined
  declare readonly etag: string | undefined
  declare readonly modelVersion: string | undefined
  declare private readonly flight: Flight

  constructor(entry: QueryEntry, flight: Flight, modelVersion: string | undefined) {
    this.key = entry.key
    this.segment = entry.segment
    this.etag = entry.etag
    this.modelVersion = modelVersion
    this.flight = flight
  }

  get signal(): AbortSignal {
    return this.flight.signal
  }
}

/** Runs one fetch of an entry with retries; resolves with the data it produced (or that superseded it). */
export async function runFetch(core: CacheCore, entry: QueryEntry, flight: Flight): Promise<unknown> {
  const retries = entry.query?.retry ?? core.options.retry
  for (let attempt = 0; ; attempt++) {
    const wait = core.gate.enter(flight)
    if (wait) await wait // rejects with the abort reason when aborted while queued
    if (flight.isAborted) {
      core.gate.leave()
      flight.rethrowAbort()
    }
    if (flight.superseded && flight.startedWith === null) {
      // A write superseded it while it waited in the queue: its answer would be dropped.
      core.gate.leave()
      return superseded(core, entry, flight, undefined)
    }
    core.counters.fetches++
    const modelVersion = core.versionOf(entry.query?.model)
    flight.startedWith = modelVersion
    // A retry starts after the invalidations that hit its wait: it is their refetch.
    flight.invalidated = false
    let value: unknown
    let failure: Error | undefined
    try {
      const fetcher = entry.query?.fetcher
      if (!fetcher) throw new Error(`cachet: no fetcher for key ${formatKey(entry.key, entry.segment)} yet`)
      value = await fetcher(new Context(entry, flight, modelVersion))
    } catch (thrown) {
      // A fetcher that throws before returning its promise fails a tick later, as a
      // rejection does: startFetch's caller (invalidate(), a follow-up) must first
      // hang what waits for this fetch on it, or that never settles.
      await undefined
      failure = toError(thrown, entry)
    } finally {
      core.gate.leave()
    }
    flight.rethrowAbort()
    if (!failure) return land(core, entry, flight, value, modelVersion)
    if (core.isSuperseded(entry, flight)) return superseded(core, entry, flight, failure)
    if (attempt < retries && isRetryable(failure)) {
      await delay(backoff(attempt), flight.signal)
      // Held while offline or hidden, as TanStack Query does: a retry then would fail
      // again (no network) or spend a costly call on a tab nobody looks at.
      while (away()) await delay(1000, flight.signal)
      if (core.isSuperseded(entry, flight)) return superseded(core, entry, flight, failure)
      continue
    }
    core.landError(entry, flight, failure)
    throw failure
  }
}

/** Lands a fetcher's answer (unwrapped, parsed), or drops it for newer data; throws its error. */
function land(core: CacheCore, entry: QueryEntry, flight: Flight, value: unknown, modelVersion: string | undefined): unknown {
  let data: unknown
  let error: Error | undefined
  let patch: EntryPatch
  if (isNotModified(value)) {
    data = entry.data
    // Nothing cached is no success yet (data may be undefined: a 204 with an ETag).
    if (entry.sinceOrigin === undefined) {
      error = new Error(`cachet: notModified for key ${formatKey(entry.key, entry.segment)}, but nothing is cached`)
    }
    // Stamped as a 200 would be (the query's model, the version the fetch
    // started under): the server vouched that what is cached is its answer now.
    patch = { error: undefined, updatedAt: core.now(), model: entry.query?.model, modelVersion }
  } else {
    data = isVersioned(value) ? value.data : value
    const schema = entry.query?.schema
    if (schema) {
      // A transform or refine that throws (a bad date's toISOString) throws out
      // of safeParse: a failure like any other, or the fetch would never land.
      try {
        const parsed = schema.safeParse(data)
        if (!parsed.success) throw parsed.error
        data = parsed.data
      } catch (thrown) {
        error = schemaError(entry, thrown)
      }
    }
    patch = succeeded(data, isVersioned(value) ? value.etag : undefined, entry.query?.model, modelVersion, core.now())
  }
  // Checked after the schema, which is user code and may write the entry itself.
  if (core.isSuperseded(entry, flight)) return superseded(core, entry, flight, error, data)
  // Never retried: the same answer would fail again.
  if (error) {
    core.landError(entry, flight, error)
    throw error
  }
  core.landFresh(entry, flight, patch)
  return data
}

/**
 * A fetch whose answer lost to a newer write: its callers get the newer data.
 * When the entry was removed meanwhile (clear(), gc), they get what this
 * fetch produced, its data or its error, unless a newer write had already
 * superseded it: then the newer data or fetch, or after a remove-mode
 * invalidation with neither, a fetch made after it.
 */
function superseded(core: CacheCore, entry: QueryEntry, flight: Flight, error: Error | undefined, data?: unknown): unknown {
  const newer = core.landSuperseded(entry, flight)
  if (!entry.removed) return newer
  if (flight.superseded) {
    // A newer fetch or data came first: that. Else a remove-mode invalidation
    // left nothing: ask the entry in the cache now for a fetch made after it.
    const hasNewer = !!entry.flight || entry.sinceOrigin !== undefined
    return hasNewer ? newer : core.fetchEntry(core.liveEntry(entry), false, false)
  }
  if (error) throw error
  return data
}

function schemaError(entry: QueryEntry, cause: unknown): Error {
  const issues = (cause as { issues?: unknown } | null)?.issues
  let detail = cause instanceof Error ? cause.message : String(cause)
  if (Array.isArray(issues) && issues.length > 0) {
    detail = issues
      .map((issue: { path?: readonly PropertyKey[]; message?: string }) => {
        return `${formatPath('data', issue.path ?? [])}: ${issue.message ?? 'invalid'}`
      })
      .join('; ')
  }
  // Not retried: `land` reports it straight away, the same data would fail again.
  return new Error(`cachet: the data for key ${formatKey(entry.key, entry.segment)} failed its schema at ${detail}`, {
    cause,
  })
}
