import type { Query } from './adapters/types'

/** What every fetcher returns: the text a component shows. */
export interface Payload {
  v: string
}

/**
 * An in-process backend: no network, a counter per call. Each entry has a
 * version that a scenario bumps when "the server's data changed", so the
 * value a component shows tells whether it shows fresh data.
 */
export class Backend {
  calls = 0
  inFlight = 0
  private readonly versions = new Map<string, number>()
  private readonly callsById = new Map<string, number>()
  /** The last value the backend answered for each entry: what a correct cache shows. */
  readonly lastServed = new Map<string, string>()

  constructor(
    /** ms before a response lands; 0 still resolves in a later macrotask, like a network reply. */
    private readonly latency = 0,
    /** Builds the shown text; scenario 8 overrides it to describe recommendation lists. */
    private readonly render: (query: Query, version: number) => string = (query, version) =>
      `${idOf(query)}@${version}`,
  ) {}

  readonly fetch = (query: Query): Promise<Payload> => {
    this.calls++
    this.inFlight++
    const id = idOf(query)
    this.callsById.set(id, (this.callsById.get(id) ?? 0) + 1)
    return new Promise((resolve) => {
      setTimeout(() => {
        this.inFlight--
        // The value is read when the response is produced, as a server would.
        const v = this.valueOf(query)
        this.lastServed.set(id, v)
        resolve({ v })
      }, this.latency)
    })
  }

  valueOf(query: Query): string {
    return this.render(query, this.versions.get(idOf(query)) ?? 0)
  }

  payloadOf(query: Query): Payload {
    return { v: this.valueOf(query) }
  }

  bump(query: Query): void {
    const id = idOf(query)
    this.versions.set(id, (this.versions.get(id) ?? 0) + 1)
  }

  callsFor(query: Query): number {
    return this.callsById.get(idOf(query)) ?? 0
  }

  resetCounters(): void {
    this.calls = 0
    this.callsById.clear()
  }

  /** Resolves once no request has been in flight for `quietMs` (refetches triggered late included). */
  async settle(quietMs = 25, timeoutMs = 20_000): Promise<void> {
    const deadline = performance.now() + timeoutMs
    let quietSince = performance.now()
    for (;;) {
      await new Promise((r) => setTimeout(r, 5))
      const now = performance.now()
      if (this.inFlight > 0) quietSince = now
      else if (now - quietSince >= quietMs) return
      if (now > deadline) throw new Error(`backend did not settle: ${this.inFlight} requests in flight`)
    }
  }
}

export function idOf(query: Query): string {
  return query.key.join('/') + (query.segment === undefined ? '' : `|${query.segment}`)
}
