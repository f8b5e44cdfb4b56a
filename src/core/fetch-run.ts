import type { CacheCore } from './cache-core'
import type { Flight, QueryEntry } from './entry'
import { succeeded } from './entry-state'
import { formatKey, formatPath } from './key'
import { isNotModified, isVersioned } from './result'
import { delay } from './scheduler'
import type { FetchContext, QueryKey } from './types'

let never: AbortSignal | undefined
function neverAborted(): AbortSignal {
  return (never ??= new AbortController().signal)
}

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
  // Without a limit the gate never queues, so it needs no signal to cancel a wait.
  const limited = core.options.maxConcurrentFetches !== Infinity
  for (let attempt = 0; ; attempt++) {
    const wait = core.gate.enter(limited ? flight.signal : neverAborted())
    if (wait) await wait // rejects with the abort reason when aborted while queued
    if (flight.aborted) {
      core.gate.leave()
      flight.throwIfAborted()
    }
    core.counters.fetches++
    const modelVersion = core.versionOf(entry.indexedModel)
    let value: unknown
    let failure: Error | undefined
    try {
      const fetcher = entry.query?.fetcher
      if (!fetcher) throw new Error(`cachet: no fetcher for key ${formatKey(entry.key, entry.segment)} yet`)
      value = await fetcher(new Context(entry, flight, modelVersion))
    } catch (thrown) {
      failure = toError(thrown, entry)
    } finally {
      core.gate.leave()
    }
    flight.throwIfAborted()
    if (core.isSuperseded(entry, flight)) return core.landSuperseded(entry, flight)
    if (!failure) {
      const landed = land(core, entry, flight, value, modelVersion)
      if (landed.ok) return landed.data
      core.landError(entry, flight, landed.error)
      throw landed.error
    }
    if (attempt < retries && isRetryable(failure)) {
      await delay(backoff(attempt), flight.signal)
      if (core.isSuperseded(entry, flight)) return core.landSuperseded(entry, flight)
      continue
    }
    core.landError(entry, flight, failure)
    throw failure
  }
}

type Landed = { ok: true; data: unknown } | { ok: false; error: Error }

function land(core: CacheCore, entry: QueryEntry, flight: Flight, value: unknown, modelVersion: string | undefined): Landed {
  if (isNotModified(value)) {
    if (entry.status !== 'success' && entry.data === undefined) {
      return {
        ok: false,
        error: new Error(`cachet: notModified for key ${formatKey(entry.key, entry.segment)}, but nothing is cached`),
      }
    }
    core.landFresh(entry, flight, { error: undefined, updatedAt: core.now() })
    return { ok: true, data: entry.data }
  }
  let data = isVersioned(value) ? value.data : value
  const etag = isVersioned(value) ? value.etag : undefined
  const schema = entry.query?.schema
  if (schema) {
    const parsed = schema.safeParse(data)
    if (!parsed.success) return { ok: false, error: schemaError(entry, parsed.error) }
    data = parsed.data
  }
  core.landFresh(entry, flight, succeeded(data, etag, entry.indexedModel, modelVersion, core.now()))
  return { ok: true, data }
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
