// @vitest-environment node
// Model-based test of the core cache: fast-check picks a cache configuration
// and a sequence of commands (fetch, answer a fetcher run in any order, set,
// invalidate, setModelVersion, mount/unmount an observer, let time pass), and
// after every command the cache is checked against a small reference model of
// what the contract (shared/API.md, docs/API.md) promises. Fetchers return
// deferred promises that only the commands settle; time is vitest's fake
// timers, and the cache's injected clock reads them.
import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import { observe } from '../../src/core/observer'
import { notModified, versioned } from '../../src/core/result'
import type { Cache, Entry, FetchContext, InvalidationTarget, QueryKey } from '../../src/core/types'

// What it found is kept as example tests in model-findings.test.ts.
// MODEL_RUNS and MODEL_SEED run it longer or on another seed; MODEL_LOG=1 prints each command.

// ---- the world: 4 keys x 2 segments --------------------------------------

interface Spec {
  key: QueryKey
  tags: string[]
  model: string | undefined
}
const SPECS: Spec[] = [
  { key: ['a'], tags: ['t1'], model: 'm1' },
  { key: ['a', 1], tags: ['t1', 't2'], model: 'm1' },
  { key: ['a', 2], tags: ['t2'], model: undefined },
  { key: ['b'], tags: [], model: 'm2' },
]
const SEGMENTS = [undefined, 's1'] as const
const EIDS = SPECS.length * SEGMENTS.length
const specOf = (eid: number) => SPECS[eid >> 1]!
const segOf = (eid: number) => SEGMENTS[eid & 1]
const eidOf = (key: QueryKey, segment: string | undefined) =>
  SPECS.findIndex((s) => JSON.stringify(s.key) === JSON.stringify(key)) * 2 + (segment === undefined ? 0 : 1)

// ---- commands -----------------------------------------------------------

type Outcome =
  | { kind: 'data' }
  | { kind: 'versioned'; etag: string }
  | { kind: 'notModified' }
  | { kind: 'error'; status: number | undefined }

type Command =
  | { t: 'fetch'; eid: number }
  | { t: 'answer'; pick: number; outcome: Outcome }
  | { t: 'set'; eid: number; etag: string | undefined }
  | { t: 'invalidate'; target: InvalidationTarget; mode: 'stale' | 'remove' | undefined }
  | { t: 'modelVersion'; model: string; version: string; policy: 'immediate' | 'lazy' | undefined }
  | { t: 'advance'; ms: number }
  | { t: 'advanceToBoundary'; pick: number }
  | { t: 'mount'; eid: number; strict: boolean }
  | { t: 'unmount'; pick: number }
  | { t: 'clear' }

const eidArb = fc.integer({ min: 0, max: EIDS - 1 })
const outcomeArb: fc.Arbitrary<Outcome> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'data' as const }) },
  { weight: 2, arbitrary: fc.constantFrom('e1', 'e2').map((etag) => ({ kind: 'versioned' as const, etag })) },
  { weight: 2, arbitrary: fc.constant({ kind: 'notModified' as const }) },
  { weight: 3, arbitrary: fc.constantFrom(undefined, 500, 404).map((status) => ({ kind: 'error' as const, status })) },
)
const targetArb: fc.Arbitrary<InvalidationTarget> = fc.oneof(
  fc.constant({}),
  fc.record({ key: fc.constantFrom<QueryKey>([], ['a'], ['a', 1], ['a', 2], ['b'], ['c']), exact: fc.constantFrom(undefined, true, false) }, { requiredKeys: ['key'] }),
  fc.record({ tags: fc.subarray(['t1', 't2', 't3']) }),
  fc.record({ segment: fc.constantFrom('s1', 's2') }),
  fc.record({ model: fc.constantFrom('m1', 'm2') }),
  fc.record({ model: fc.constantFrom('m1', 'm2'), modelVersion: fc.constantFrom('v1', 'v2', 'v3') }),
  fc.record({ modelVersion: fc.constantFrom('v1', 'v2') }),
  fc.record({ key: fc.constant(['a']), segment: fc.constant('s1'), tags: fc.constant(['t2']) }),
)
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 6, arbitrary: eidArb.map((eid) => ({ t: 'fetch' as const, eid })) },
  { weight: 8, arbitrary: fc.record({ t: fc.constant('answer' as const), pick: fc.nat(7), outcome: outcomeArb }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('set' as const), eid: eidArb, etag: fc.constantFrom(undefined, 'e1', 'e3') }) },
  {
    weight: 4,
    arbitrary: fc.record({ t: fc.constant('invalidate' as const), target: targetArb, mode: fc.constantFrom(undefined, 'stale' as const, 'remove' as const) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      t: fc.constant('modelVersion' as const),
      model: fc.constantFrom('m1', 'm2'),
      version: fc.constantFrom('v1', 'v2', 'v3'),
      policy: fc.constantFrom(undefined, 'immediate' as const, 'lazy' as const),
    }),
  },
  { weight: 3, arbitrary: fc.constantFrom(1, 500, 999, 1000, 2000, 4000).map((ms) => ({ t: 'advance' as const, ms })) },
  { weight: 3, arbitrary: fc.nat(15).map((pick) => ({ t: 'advanceToBoundary' as const, pick })) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('mount' as const), eid: eidArb, strict: fc.boolean() }) },
  { weight: 2, arbitrary: fc.nat(7).map((pick) => ({ t: 'unmount' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
)

interface Config {
  staleTime: number
  gcTime: number
  retry: number
  max: number
  models: Record<string, string>
}
const configArb: fc.Arbitrary<Config> = fc.record({
  staleTime: fc.constantFrom(0, 1000, Infinity),
  gcTime: fc.constantFrom(2000, 5000),
  retry: fc.constantFrom(0, 1, 2, 3),
  max: fc.constantFrom(1, 2, 3, Infinity),
  models: fc.constantFrom<Record<string, string>>({}, { m1: 'v1' }, { m1: 'v1', m2: 'v2' }),
})

// ---- the harness ----------------------------------------------------------

const START = 1_000_000 // the injected clock's reading when the run starts (see clock-zero test for 0)
const backoff = (attempt: number) => Math.min(1000 * 2 ** attempt, 30_000)

interface Call {
  id: number
  eid: number
  ctx: FetchContext
  signal: AbortSignal
  flight: FlightRec
  attempt: number
  startSeq: number
  startedAt: number
  settled: boolean
  respectsAbort: boolean
  resolve(v: unknown): void
  reject(e: unknown): void
  rejectedAt?: number
  error?: Error
}
interface FlightRec {
  signal: AbortSignal
  eid: number
  startSeq: number
  calls: Call[]
  /** Started by a fetch() command: a caller awaits it, so it must never abort. */
  callerOwned: boolean
  /** A lower bound of when it was requested: it may have waited in the gate's queue before its first call. */
  requestLB: number
  abortedInCommand: string | undefined
}
interface Caller {
  eid: number
  seqAtCall: number
  invalAtCall: number
  settled: boolean
  value?: unknown
  error?: unknown
}
interface Inval {
  seq: number
  count?: number
  settled: boolean
  strict: number
  loose: number
  activeHits: { eid: number; seq: number; refetch?: FlightRec | undefined }[]
}
interface EState {
  exists: boolean
  data: unknown
  updatedAt: number
  idleAt: number // when it last became idle with no observers (gc counts from here)
  fetching: boolean
  freshCallSeq: number // seq of the fetcher call (or set) that produced updatedAt
  freshFlightSeq: number // seq of the flight (first call) that produced updatedAt
  lastInvalStrict: number
  lastInvalLoose: number
  lastRemove: number
  lastSupersede: number // set, remove or clear
  lastMaybeRemove: number
  idleSeenSeq: number // the last command after which it was seen not fetching (a flight is requested after it)
}

class Harness {
  seq = 0
  cmd = 'init'
  violations: string[] = []
  calls: Call[] = []
  flights = new Map<AbortSignal, FlightRec>()
  callers: Caller[] = []
  invals: Inval[] = []
  observers: { eid: number; unsubscribe: () => void }[] = []
  validated = new Map<unknown, number>() // data object -> the seq that last vouched for it
  models: Record<string, string>
  mounts = 0
  fetchCalls = 0
  rejectedCalls = 0
  st: EState[] = []
  cache: Cache
  t0: number
  lastRejectRetry: { call: Call; due: number }[] = []
  dataSources = new Set<unknown>() // data that may appear in this command
  answered: Call | undefined // the run this command answered
  idleBefore: number[] = []
  unmounted: number | undefined
  /** Entries removed during the current command. */
  gone = new Set<number>()
  lastClear = -1
  orphans = new Set<number>()
  activeStrict: number[] = []
  lastUnmount = new Map<number, number>()
  invalHit = new Set<number>() // entries this command's invalidation may hit

  constructor(readonly cfg: Config) {
    this.models = { ...cfg.models }
    this.t0 = Date.now()
    for (let eid = 0; eid < EIDS; eid++) this.st.push(this.blank())
    this.cache = createCache({
      staleTime: cfg.staleTime,
      gcTime: cfg.gcTime,
      retry: cfg.retry,
      maxConcurrentFetches: cfg.max,
      models: { ...cfg.models },
      now: () => START + (Date.now() - this.t0),
    })
    // An entry gc removes in a command may be made again in it (a caller that waited asks again):
    // then it is a new entry, not the old one with its data dropped.
    this.cache.subscribe((event) => {
      if (event.type === 'removed') this.gone.add(eidOf(event.entry.key, event.entry.segment))
    })
  }

  blank(): EState {
    return {
      exists: false,
      data: undefined,
      updatedAt: 0,
      idleAt: 0,
      fetching: false,
      freshCallSeq: -1,
      freshFlightSeq: -1,
      lastInvalStrict: -1,
      lastInvalLoose: -1,
      lastRemove: -1,
      lastSupersede: -1,
      idleSeenSeq: -1,
      lastMaybeRemove: -1,
    }
  }

  now() {
    return START + (Date.now() - this.t0)
  }
  fail(message: string) {
    this.violations.push(`[${this.cmd}] ${message}`)
  }
  get(eid: number): Entry<unknown> | undefined {
    return this.cache.get(specOf(eid).key, segOf(eid))
  }
  liveCalls() {
    return this.calls.filter((c) => !c.settled)
  }
  observed(eid: number) {
    return this.observers.some((o) => o.eid === eid)
  }

  // One fetcher for every query: it records the run and checks what it is given.
  fetcher = (ctx: FetchContext): Promise<unknown> => {
    const eid = eidOf(ctx.key, ctx.segment)
    const signal = ctx.signal
    const startSeq = ++this.seq
    const found = this.flights.get(signal)
    const isNew = !found
    const flight: FlightRec = found ?? { signal, eid, startSeq, calls: [], callerOwned: this.cmd.startsWith('fetch'), requestLB: this.orphans.has(eid) ? -1 : Math.min(startSeq, this.st[eid]!.idleSeenSeq), abortedInCommand: undefined }
    if (isNew) {
      this.flights.set(signal, flight)
      signal.addEventListener('abort', () => (flight.abortedInCommand = this.cmd))
    }
    const spec = specOf(eid)
    // ctx: the model version current now; the etag of the cached data.
    const version = spec.model === undefined ? undefined : this.models[spec.model]
    if (ctx.modelVersion !== version) this.fail(`e${eid}: ctx.modelVersion ${ctx.modelVersion} != current ${version}`)
    const cached = this.cache.get(spec.key, segOf(eid))
    // (A flight queued before clear() runs on the removed entry and sends its etag: not checked then.)
    if (ctx.etag !== cached?.etag && flight.requestLB > this.lastClear) this.fail(`e${eid}: ctx.etag ${ctx.etag} != cached etag ${cached?.etag}`)
    if (signal.aborted) this.fail(`e${eid}: fetcher called with an aborted signal`)
    // Concurrency: this run plus every unsettled one.
    const running = this.liveCalls().length + 1
    if (running > this.cfg.max) this.fail(`${running} fetchers running, maxConcurrentFetches ${this.cfg.max}`)
    // Dedup: no other unaborted run of a flight started after the last remove/clear.
    const others = this.liveCalls().filter((c) => c.eid === eid && c.flight !== flight && !c.signal.aborted && c.flight.requestLB > Math.max(this.st[eid]!.lastRemove, this.st[eid]!.lastMaybeRemove, this.lastClear))
    if (others.length > 0) this.fail(`e${eid}: a second fetcher run while #${others[0]!.id} runs (dedup)`)
    // Retries: same flight, after the previous attempt failed retryably, exactly its backoff later.
    if (!isNew) {
      const prev = flight.calls[flight.calls.length - 1]!
      const attempt = flight.calls.length
      if (!prev.settled || prev.rejectedAt === undefined) this.fail(`e${eid}: a flight called its fetcher again before the last run failed`)
      else {
        const status = (prev.error as { status?: number }).status
        if (status !== undefined && status >= 400 && status < 500) this.fail(`e${eid}: retried a ${status}`)
        if (attempt > this.cfg.retry) this.fail(`e${eid}: attempt ${attempt + 1} with retry ${this.cfg.retry}`)
        const waited = this.now() - prev.rejectedAt
        const expected = backoff(attempt - 1)
        if (this.cfg.max === Infinity ? waited !== expected : waited < expected) this.fail(`e${eid}: retry ${attempt} after ${waited} ms, backoff ${expected}`)
      }
    }
    let resolve!: (v: unknown) => void
    let reject!: (e: unknown) => void
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res
      reject = rej
    })
    const call: Call = {
      id: this.calls.length,
      eid,
      ctx,
      signal,
      flight,
      attempt: flight.calls.length,
      startSeq,
      startedAt: this.now(),
      settled: false,
      respectsAbort: this.calls.length % 2 === 0,
      resolve,
      reject,
    }
    flight.calls.push(call)
    this.calls.push(call)
    if (call.respectsAbort) {
      signal.addEventListener('abort', () => {
        if (call.settled) return
        call.settled = true
        reject(signal.reason)
      })
    }
    return promise
  }

  query(eid: number) {
    const spec = specOf(eid)
    return { key: spec.key, segment: segOf(eid), tags: spec.tags, model: spec.model, fetcher: this.fetcher }
  }

  // ---- running one command ----------------------------------------------

  async run(c: Command) {
    this.cmd = `${c.t} ${JSON.stringify(c)}`
    const seq = ++this.seq
    this.dataSources.clear()
    this.answered = undefined
    this.unmounted = undefined
    this.activeStrict = []
    this.idleBefore = this.st.map((x) => x.idleSeenSeq)
    this.invalHit = new Set()
    const before = this.st.map((_, eid) => this.get(eid))
    this.gone.clear()
    const flightsBefore = new Set(this.flights.keys())
    const touched = new Set<number>() // entries this command writes (set) at `seq`
    const removed = new Set<number>() // entries whose data this command may drop
    let maybeDropped = new Set<number>()
    switch (c.t) {
      case 'fetch': {
        const st = this.st[c.eid]!
        const caller: Caller = { eid: c.eid, seqAtCall: seq, invalAtCall: st.lastInvalStrict, settled: false }
        this.callers.push(caller)
        this.fetchCalls++
        this.cache.fetch(this.query(c.eid)).then(
          (value) => Object.assign(caller, { settled: true, value }),
          (error: unknown) => Object.assign(caller, { settled: true, error }),
        )
        break
      }
      case 'answer': {
        const live = this.liveCalls()
        if (live.length === 0) break
        const call = live[c.pick % live.length]!
        await vi.advanceTimersByTimeAsync(1) // every landing gets its own updatedAt
        this.cmd += ` -> run #${call.id} (e${call.eid})`
        this.answered = call
        call.settled = true
        const o = c.outcome
        if (o.kind === 'error') {
          const error = Object.assign(new Error(`boom #${call.id}`), o.status === undefined ? {} : { status: o.status })
          call.error = error
          call.rejectedAt = this.now()
          this.rejectedCalls++
          call.reject(error)
        } else if (o.kind === 'notModified') {
          call.resolve(notModified)
        } else {
          const data = { run: call.id }
          this.validated.set(data, call.startSeq)
          this.dataSources.add(data)
          call.resolve(o.kind === 'versioned' ? versioned(data, o.etag) : data)
        }
        await this.flush()
        this.checkAnswer(call, o, before[call.eid])
        break
      }
      case 'set': {
        await vi.advanceTimersByTimeAsync(1)
        const spec = specOf(c.eid)
        const data = { set: seq }
        this.validated.set(data, seq)
        this.dataSources.add(data)
        touched.add(c.eid)
        this.cache.set(spec.key, data, { segment: segOf(c.eid), tags: spec.tags, model: spec.model, etag: c.etag })
        const st = this.st[c.eid]!
        st.lastSupersede = seq
        const after = this.get(c.eid)
        const version = spec.model === undefined ? undefined : this.models[spec.model]
        if (after?.data !== data || after.status !== 'success' || after.etag !== c.etag || after.modelVersion !== version || after.model !== spec.model) {
          this.fail(`e${c.eid}: after set: ${JSON.stringify(after)}`)
        }
        if (this.cfg.staleTime > 0 && after?.isStale !== false) this.fail(`e${c.eid}: set data is not fresh`)
        break
      }
      case 'invalidate': {
        const strict = new Set<number>()
        const loose = new Set<number>()
        for (let eid = 0; eid < EIDS; eid++) {
          const e = before[eid]
          if (!e) continue
          const m = this.matches(eid, e, c.target)
          if (m === 'strict') strict.add(eid)
          if (m) loose.add(eid)
        }
        const inval: Inval = { seq, settled: false, strict: strict.size, loose: loose.size, activeHits: [] }
        for (const eid of loose) {
          const st = this.st[eid]!
          st.lastInvalLoose = seq
          if (strict.has(eid)) st.lastInvalStrict = seq
          if (c.mode === 'remove') {
            if (strict.has(eid)) {
              st.lastRemove = seq
              st.lastSupersede = seq
              removed.add(eid)
            } else {
              // A fetch in flight under that version may count as a match (a 'loose' one).
              st.lastSupersede = seq
              st.lastMaybeRemove = seq
              maybeDropped.add(eid)
            }
          }
          if (strict.has(eid) && this.observed(eid)) inval.activeHits.push({ eid, seq })
        }
        this.invals.push(inval)
        this.invalHit = loose
        this.cache.invalidate(c.target, c.mode === undefined ? undefined : { mode: c.mode }).then(
          (count) => Object.assign(inval, { settled: true, count }),
          () => this.fail('invalidate() rejected'),
        )
        // Synchronously, before it returns: every strict match is stale; a removed one has no data.
        for (const eid of strict) {
          const e = this.get(eid)
          if (e && !e.isStale) this.fail(`e${eid}: not stale right after invalidate()`)
          if (c.mode === 'remove' && e && (e.data !== undefined || e.status !== 'pending')) this.fail(`e${eid}: removed data still shown: ${JSON.stringify(e)}`)
        }
        maybeDropped = new Set([...maybeDropped, ...removed])
        this.activeStrict = [...strict].filter((eid) => this.observed(eid))
        break
      }
      case 'modelVersion': {
        for (let eid = 0; eid < EIDS; eid++) {
          const e = before[eid]
          const spec = specOf(eid)
          if (!e || spec.model !== c.model || c.policy !== 'immediate') continue
          const st = this.st[eid]!
          if (e.modelVersion !== c.version) st.lastInvalStrict = st.lastInvalLoose = seq
          else if (e.isFetching) st.lastInvalLoose = seq
        }
        this.models[c.model] = c.version
        this.cache.setModelVersion(c.model, c.version, c.policy === undefined ? undefined : { policy: c.policy })
        break
      }
      case 'advance':
        await this.advance(c.ms)
        break
      case 'advanceToBoundary': {
        const points = this.boundaries()
        if (points.length > 0) await this.advance(points[c.pick % points.length]! - this.now())
        break
      }
      case 'mount': {
        const obs = observe(this.cache, this.query(c.eid))
        const listener = () => {}
        let unsubscribe = obs.subscribe(listener)
        if (c.strict) {
          // StrictMode: subscribe, unsubscribe and subscribe again in one tick.
          unsubscribe()
          unsubscribe = obs.subscribe(listener)
        }
        this.observers.push({ eid: c.eid, unsubscribe })
        this.mounts++
        break
      }
      case 'unmount': {
        if (this.observers.length === 0) break
        const [o] = this.observers.splice(c.pick % this.observers.length, 1)
        this.cmd += ` -> e${o!.eid}`
        this.unmounted = o!.eid
        this.lastUnmount.set(o!.eid, seq)
        o!.unsubscribe()
        break
      }
      case 'clear': {
        this.mounts += this.observers.length // each observer moves to a new entry: a counted mount
        for (let eid = 0; eid < EIDS; eid++) {
          this.st[eid]!.lastSupersede = seq
          maybeDropped.add(eid)
        }
        this.lastClear = seq
        // A flight queued for a removed entry may call its fetcher any time later: from then on the
        // entry's new flights cannot be told from it, so they are dated before the clear.
        for (let eid = 0; eid < EIDS; eid++) if (before[eid]?.isFetching) this.orphans.add(eid)
        this.cache.clear()
        break
      }
    }
    if (c.t !== 'answer' && c.t !== 'advance' && c.t !== 'advanceToBoundary') await this.flush()
    this.checkAll(c, seq, before, touched, maybeDropped, flightsBefore)
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'))
  }

  async flush() {
    await vi.advanceTimersByTimeAsync(0)
    await vi.advanceTimersByTimeAsync(0)
  }

  /**
   * A refetch a remove-mode invalidation replaced after it started, and a fetch started after
   * that remove has landed or failed for good (not aborted, no retry due). The remove aborts
   * the refetch unless a fetch() caller awaits it: then it runs on, but its answer is dropped
   * (it may hold the removed data), and the fetch that replaced it is the refetch.
   */
  replaced(f: FlightRec): boolean {
    const st = this.st[f.eid]!
    const removeSeq = Math.max(st.lastRemove, st.lastMaybeRemove)
    if (removeSeq < f.startSeq) return false
    return [...this.flights.values()].some((g) => {
      const last = g.calls.at(-1)
      if (g.eid !== f.eid || g.startSeq <= removeSeq || g.signal.aborted || !last?.settled) return false
      const status = (last.error as { status?: number } | undefined)?.status
      return last.rejectedAt === undefined || last.attempt >= this.cfg.retry || (status !== undefined && status >= 400 && status < 500)
    })
  }

  /** Times worth landing on exactly: retry dues, gc dues, stale flips, each and 1 ms before. */
  boundaries(): number[] {
    const now = this.now()
    const points = new Set<number>()
    for (const call of this.calls) {
      if (call.rejectedAt !== undefined) points.add(call.rejectedAt + backoff(call.attempt))
    }
    for (let eid = 0; eid < EIDS; eid++) {
      const st = this.st[eid]!
      if (!st.exists) continue
      points.add(st.idleAt + this.cfg.gcTime)
      if (st.updatedAt > 0 && this.cfg.staleTime !== Infinity) points.add(st.updatedAt + this.cfg.staleTime)
    }
    return [...points].flatMap((p) => [p - 1, p]).filter((p) => p > now).sort((a, b) => a - b)
  }

  /** Lets time pass, stopping at each retry due so idle times are exact. */
  async advance(ms: number) {
    const end = this.now() + ms
    for (;;) {
      const now = this.now()
      const stops = this.calls.map((c) => (c.rejectedAt ?? -1) + backoff(c.attempt)).filter((t) => t > now && t < end)
      const next = stops.length > 0 ? Math.min(...stops) : end
      await vi.advanceTimersByTimeAsync(next - now)
      if (next === end) break
      this.observeIdle(new Set())
    }
    await this.flush()
  }

  /** 'strict': the contract says it matches; 'loose': it may (a fetch in flight under that version). */
  matches(eid: number, e: Entry<unknown>, t: InvalidationTarget): 'strict' | 'loose' | false {
    const spec = specOf(eid)
    if (t.key !== undefined) {
      const k = JSON.stringify
      if (t.exact ? k(t.key) !== k(spec.key) : !t.key.every((part, i) => k(part) === k(spec.key[i]))) return false
      if (t.key.length > spec.key.length) return false
    }
    if (t.tags !== undefined && !t.tags.some((tag) => spec.tags.includes(tag))) return false
    if (t.segment !== undefined && t.segment !== segOf(eid)) return false
    if (t.model !== undefined && t.model !== spec.model) return false
    if (t.modelVersion !== undefined && e.modelVersion !== t.modelVersion) return e.isFetching ? 'loose' : false
    return 'strict'
  }

  // ---- checks -------------------------------------------------------------

  checkAnswer(call: Call, o: Outcome, before: Entry<unknown> | undefined) {
    const st = this.st[call.eid]!
    const f = call.flight
    // A clean flight: nothing wrote the entry since it started, and it is the newest one.
    const newest = [...this.flights.values()].filter((x) => x.eid === call.eid).every((x) => x.startSeq <= f.startSeq)
    // The flight may have been requested (queued) before its first fetcher call: a write since
    // the entry was last seen idle may have superseded it (see model-findings: queued flight).
    const clean = newest && st.lastSupersede < f.requestLB && !f.signal.aborted && before !== undefined
    if (!clean) return
    const e = this.get(call.eid)
    if (!e) return this.fail(`e${call.eid}: entry vanished while its fetch was in flight`)
    if (o.kind === 'error') {
      const status = o.status
      const final = call.attempt >= this.cfg.retry || (status !== undefined && status >= 400 && status < 500)
      if (final) {
        if (e.status !== 'error' || e.error !== call.error) this.fail(`e${call.eid}: final failure not shown: ${e.status}`)
        if (e.data !== before.data) this.fail(`e${call.eid}: an error lost the last good data`)
      } else if (!e.isFetching) this.fail(`e${call.eid}: not fetching while a retry is due`)
    } else if (o.kind === 'notModified') {
      // Nothing cached: no success since the entry was made or its data removed (START > 0).
      if (before.updatedAt === 0) {
        if (e.status !== 'error') this.fail(`e${call.eid}: notModified with nothing cached is not an error`)
      } else {
        if (e.data !== before.data) this.fail(`e${call.eid}: notModified changed the data reference`)
        if (e.updatedAt !== this.now()) this.fail(`e${call.eid}: notModified did not refresh updatedAt`)
        if (e.etag !== before.etag) this.fail(`e${call.eid}: notModified changed the etag`)
        if (e.error !== undefined) this.fail(`e${call.eid}: notModified left an error`)
        // Stamped as a 200 would be: the server vouched for what is cached under this request.
        if (e.modelVersion !== call.ctx.modelVersion) this.fail(`e${call.eid}: notModified stamped ${e.modelVersion}, fetched with ${call.ctx.modelVersion}`)
      }
    } else {
      const data = (e.data as { run?: number } | undefined)?.run
      if (data !== call.id) this.fail(`e${call.eid}: data of run #${call.id} did not land (shows ${JSON.stringify(e.data)})`)
      if (e.etag !== (o.kind === 'versioned' ? o.etag : undefined)) this.fail(`e${call.eid}: etag ${e.etag} after ${o.kind}`)
      if (e.modelVersion !== call.ctx.modelVersion) this.fail(`e${call.eid}: stamped ${e.modelVersion}, fetched with ${call.ctx.modelVersion}`)
      if (e.updatedAt !== this.now() || e.status !== 'success') this.fail(`e${call.eid}: landing not a success now: ${e.status} ${e.updatedAt}`)
    }
  }

  /** Track when entries became idle (gc counts from then) and whether they exist. */
  observeIdle(touched: Set<number>) {
    const now = this.now()
    for (let eid = 0; eid < EIDS; eid++) {
      let st = this.st[eid]!
      const e = this.get(eid)
      if (!e || (this.gone.has(eid) && st.exists)) {
        if (st.exists) {
          // Gone: only clear() (handled by the caller) or gc, exactly gcTime after idle.
          if (this.observed(eid)) this.fail(`e${eid}: an observed entry disappeared`)
          else if (st.fetching) this.fail(`e${eid}: an entry disappeared while fetching`)
          else if (now < st.idleAt + this.cfg.gcTime) this.fail(`e${eid}: collected ${now - st.idleAt} ms after idle, gcTime ${this.cfg.gcTime}`)
        }
        st = this.st[eid] = { ...this.blank(), lastInvalStrict: st.lastInvalStrict, lastInvalLoose: st.lastInvalLoose, lastRemove: st.lastRemove, lastSupersede: st.lastSupersede, lastMaybeRemove: st.lastMaybeRemove }
        if (!e) continue
      }
      // (Made again after gc in this command: tracked from here as a new entry.)
      if (!st.exists || touched.has(eid) || (st.fetching && !e.isFetching)) st.idleAt = now
      st.exists = true
      st.fetching = e.isFetching
      if (!e.isFetching) st.idleSeenSeq = this.seq
      if (!this.observed(eid) && !e.isFetching && now >= st.idleAt + this.cfg.gcTime) {
        this.fail(`e${eid}: still cached ${now - st.idleAt} ms after idle, gcTime ${this.cfg.gcTime}`)
      }
    }
  }

  checkAll(c: Command, seq: number, before: (Entry<unknown> | undefined)[], touched: Set<number>, maybeDropped: Set<number>, flightsBefore: Set<AbortSignal>) {
    const now = this.now()
    if (c.t === 'clear') for (const st of this.st) st.exists = false
    // An entry that loses its last observer: gc counts from now.
    if (this.unmounted !== undefined && !this.observed(this.unmounted) && !this.get(this.unmounted)?.isFetching) touched.add(this.unmounted)
    this.observeIdle(touched)

    const newFlights = [...this.flights.values()].filter((f) => !flightsBefore.has(f.signal))
    for (let eid = 0; eid < EIDS; eid++) {
      const st = this.st[eid]!
      const e = this.get(eid)
      const prev = this.gone.has(eid) ? undefined : before[eid]
      const started = newFlights.filter((f) => f.eid === eid).length
      const dropping = maybeDropped.has(eid)
      // Coalescing / dedup: at most one new flight per entry per command (two when a remove
      // replaces a flight a caller still awaits); none when a stale invalidation hits a fetch.
      if (started > (dropping ? 2 : 1)) this.fail(`e${eid}: ${started} fetches started by one command`)
      if (c.t === 'invalidate' && started === 1 && !prev?.isFetching && this.cfg.max === Infinity) {
        const hit = this.invals.at(-1)!.activeHits.find((x) => x.eid === eid)
        if (hit) hit.refetch = newFlights.find((f) => f.eid === eid)
      }
      if (c.t === 'invalidate' && c.mode !== 'remove' && prev?.isFetching && started > 0) this.fail(`e${eid}: a stale invalidation of an entry in flight started another fetch`)
      // (A fetch queued behind maxConcurrentFetches may start in any command: only matched, idle entries count.)
      if (c.t === 'invalidate' && started > 0 && this.invalHit.has(eid) && !prev?.isFetching && !this.observed(eid)) this.fail(`e${eid}: invalidation refetched an entry nobody observes`)
      if (!e) continue

      // Data: changes only to what this command produced, never back to older data.
      if (e.data !== prev?.data && prev !== undefined) {
        if (e.data === undefined) {
          if (!dropping) this.fail(`e${eid}: data dropped by ${c.t}`)
        } else if (!this.dataSources.has(e.data)) this.fail(`e${eid}: data changed to ${JSON.stringify(e.data)} without a source in this command`)
      }
      if (e.data !== undefined) {
        const v = this.validated.get(e.data) ?? -1
        if (v <= st.lastRemove) this.fail(`e${eid}: shows ${JSON.stringify(e.data)} from before a remove`)
        const pv = prev?.data === undefined ? -1 : (this.validated.get(prev.data) ?? -1)
        if (e.data !== prev?.data && prev?.data !== undefined && (this.validated.get(e.data) ?? -1) < pv) this.fail(`e${eid}: older data overwrote newer`)
      }
      // updatedAt: a change is a landing (or set) in this command, at now.
      if (e.updatedAt !== st.updatedAt) {
        if (e.updatedAt !== 0) {
          if (e.updatedAt !== now) this.fail(`e${eid}: updatedAt moved to ${e.updatedAt}, now ${now}`)
          let callSeq = seq
          let flightSeq = seq
          if (c.t === 'answer') {
            const src = this.answered
            if (src && src.eid === eid) {
              callSeq = src.startSeq
              // A lower bound of when the flight was requested: it may have queued before its first call.
              flightSeq = Math.min(src.flight.startSeq, this.idleBefore[eid]!)
              if (e.data !== undefined && e.data === prev?.data) this.validated.set(e.data, Math.max(this.validated.get(e.data) ?? -1, callSeq))
            }
          } else if (c.t !== 'set') this.fail(`e${eid}: updatedAt changed by ${c.t}`)
          st.freshCallSeq = callSeq
          st.freshFlightSeq = flightSeq
        }
        st.updatedAt = e.updatedAt
      }
      // isStale: fresh only if in staleTime and produced after the last invalidation; and then fresh.
      const inTime = e.updatedAt > 0 && now - e.updatedAt < this.cfg.staleTime
      if (!e.isStale && !(inTime && st.freshCallSeq > st.lastInvalStrict)) {
        this.fail(`e${eid}: fresh but ${inTime ? 'invalidated after its fetch started' : 'staleTime passed'}`)
      }
      if (e.isStale && e.status === 'success' && inTime && st.freshFlightSeq > st.lastInvalLoose) this.fail(`e${eid}: stale within staleTime, not invalidated`)
      if (e.status === 'success' && e.data === undefined && this.validated.size > 0 && e.updatedAt === 0) this.fail(`e${eid}: success without data`)
      if (e.model !== specOf(eid).model && e.status === 'success') this.fail(`e${eid}: model ${e.model}`)
    }

    // Semantic 3: an invalidated entry with observers refetches in the background.
    for (const eid of this.activeStrict) if (!this.get(eid)?.isFetching) this.fail(`e${eid}: observed, invalidated, not refetching`)

    // Flights: a caller's flight never aborts; an abort needs nobody watching.
    for (const f of this.flights.values()) {
      if (f.abortedInCommand !== this.cmd) continue
      if (f.callerOwned && this.callers.some((x) => x.eid === f.eid && !x.settled && x.seqAtCall <= f.startSeq)) {
        this.fail(`e${f.eid}: a fetch a caller awaits was aborted`)
      }
      if (this.observed(f.eid) && !maybeDropped.has(f.eid)) this.fail(`e${f.eid}: an observed entry's fetch was aborted`)
      f.abortedInCommand = `${this.cmd} (checked)`
    }
    if (c.t === 'unmount') {
      for (let eid = 0; eid < EIDS; eid++) {
        if (this.observed(eid) || this.callers.some((x) => x.eid === eid && !x.settled)) continue
        const live = this.liveCalls().filter((x) => x.eid === eid && !x.signal.aborted)
        for (const call of live) {
          const newest = [...this.flights.values()].filter((x) => x.eid === eid).every((x) => x.startSeq <= call.flight.startSeq)
          if (newest && this.get(eid)?.isFetching) this.fail(`e${eid}: nobody waits, yet run #${call.id} was not aborted`)
        }
      }
    }

    // Callers: never aborted, answered by data validated after what they asked past.
    for (const caller of this.callers) {
      if (!caller.settled || (caller as { checked?: boolean }).checked) continue
      ;(caller as { checked?: boolean }).checked = true
      if (caller.error !== undefined) {
        if ((caller.error as Error).name === 'AbortError') this.fail(`e${caller.eid}: a fetch() caller got an AbortError`)
        continue
      }
      const v = this.validated.get(caller.value)
      const st = this.st[caller.eid]!
      if (v === undefined) {
        this.fail(`e${caller.eid}: fetch() resolved with ${JSON.stringify(caller.value)}, not data`)
      } else if (this.lastClear > caller.seqAtCall) {
        // docs/API.md: after clear(), a fetch() whose fetch was in flight resolves with what that
        // fetch produced, whatever invalidated or removed the entry before.
      } else if (v <= caller.invalAtCall) this.fail(`e${caller.eid}: fetch() after an invalidation resolved with data from before it`)
      else if (v <= st.lastRemove && st.lastRemove > caller.seqAtCall) this.fail(`e${caller.eid}: fetch() resolved with data a remove dropped`)
    }

    // Invalidations: resolve to the matched count.
    for (const inval of this.invals) {
      if (!inval.settled || (inval as { checked?: boolean }).checked) continue
      ;(inval as { checked?: boolean }).checked = true
      // Semantic 3: it resolves once the refetches it triggered settled (checked where the
      // refetch is known: an idle entry, no queue, no clear or unmount since), were aborted,
      // or were replaced by a newer fetch that settled (docs/API.md).
      for (const hit of inval.activeHits) {
        if (!hit.refetch || this.lastClear > hit.seq || (this.lastUnmount.get(hit.eid) ?? -1) > hit.seq) continue
        if (!hit.refetch.signal.aborted && hit.refetch.calls.some((x) => !x.settled) && !this.replaced(hit.refetch)) {
          this.fail(`e${hit.eid}: invalidate() resolved while its refetch runs`)
        }
      }
      if (inval.count! < inval.strict || inval.count! > inval.loose) this.fail(`invalidate() resolved ${inval.count}, matched ${inval.strict}..${inval.loose}`)
    }

    // Stats.
    const s = this.cache.stats()
    const live = this.liveCalls().length
    if (s.fetches !== this.calls.length) this.fail(`stats.fetches ${s.fetches}, fetcher runs ${this.calls.length}`)
    if (s.inFlight !== live) this.fail(`stats.inFlight ${s.inFlight}, running ${live}`)
    if (s.queued > 0 && s.inFlight < this.cfg.max) this.fail(`stats.queued ${s.queued} with a free slot (${s.inFlight}/${this.cfg.max})`)
    if (s.hits + s.misses !== this.fetchCalls + this.mounts) this.fail(`hits+misses ${s.hits + s.misses}, requests ${this.fetchCalls + this.mounts}`)
    if (s.deduped > s.misses) this.fail(`deduped ${s.deduped} > misses ${s.misses}`)
    if (s.errors > this.rejectedCalls + this.calls.length) this.fail(`errors ${s.errors}`)
    let entries = 0
    for (let eid = 0; eid < EIDS; eid++) if (this.get(eid)) entries++
    if (s.entries !== entries) this.fail(`stats.entries ${s.entries}, found ${entries}`)
  }

  /** Answer every run and let every timer fire: then every caller and invalidate() has settled. */
  async drain() {
    this.cmd = 'drain'
    for (let round = 0; round < 60; round++) {
      for (const call of this.liveCalls()) {
        call.settled = true
        const data = { run: call.id }
        this.validated.set(data, call.startSeq)
        call.resolve(data)
      }
      await vi.advanceTimersByTimeAsync(31_000)
      if (this.liveCalls().length === 0 && this.cache.stats().queued === 0 && this.cache.stats().inFlight === 0) break
    }
    await this.flush()
    if (this.liveCalls().length > 0) this.fail('fetches still running after drain')
    const s = this.cache.stats()
    if (s.inFlight !== 0 || s.queued !== 0) this.fail(`after drain: inFlight ${s.inFlight}, queued ${s.queued}`)
    const hung = this.callers.filter((x) => !x.settled)
    if (hung.length > 0) this.fail(`${hung.length} fetch() callers never settled (e${hung.map((x) => x.eid).join(', e')})`)
    if (this.invals.some((x) => !x.settled)) this.fail('an invalidate() never settled')
    for (const o of this.observers) o.unsubscribe()
    this.cache.clear()
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'))
  }
}

describe('core cache against a reference model (property)', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('every command sequence keeps the contract invariants', async () => {
    await fc.assert(
      fc.asyncProperty(configArb, fc.array(commandArb, { minLength: 5, maxLength: 60, size: 'max' }), async (cfg, commands) => {
        vi.useFakeTimers()
        const h = new Harness(cfg)
        try {
          for (const c of commands) {
            await h.run(c)
            if (process.env.MODEL_LOG) console.log(h.cmd)
          }
          await h.drain()
        } finally {
          vi.clearAllTimers()
        }
      }),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 1000),
        seed: Number(process.env.MODEL_SEED ?? 20_250_101),
        // A failure prints its seed and path: MODEL_SEED=… MODEL_PATH=… replays that case alone.
        ...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}),
        endOnFailure: false,
      },
    )
  })
})
