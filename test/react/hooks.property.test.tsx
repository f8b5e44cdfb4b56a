// Model-based test of the React hooks: fast-check picks a sequence of commands
// (mount / unmount / re-key / toggle `enabled` of components using
// useCachedQuery under a CacheProvider segment and optionally StrictMode,
// answer or reject fetcher runs in any order, useInvalidate-style
// invalidations, cache.set, clear, optimistic mutations settled in any
// order, time, focus), and after every command (once `act` has flushed) the
// rendered app is checked against the contract (shared/API.md, docs/API.md).
// Fetchers and mutationFns return deferred promises only commands settle;
// time is vitest's fake timers. Findings are kept in hooks-findings.test.tsx.
// MODEL_RUNS / MODEL_SEED / MODEL_PATH override the run; MODEL_LOG=1 prints commands.
import { act, cleanup, render } from '@testing-library/react'
import fc from 'fast-check'
import { memo, StrictMode, useRef } from 'react'
import { afterEach, describe, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache, Entry, FetchContext, InvalidationTarget, QueryKey } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'
import { useCachedQuery } from '../../src/react/use-cached-query'
import { useInvalidate } from '../../src/react/use-invalidate'
import { useMutation, type UseMutationResult } from '../../src/react/use-mutation'

// ---- the world: 3 keys x 2 segments ----------------------------------------
const KEYS: QueryKey[] = [['a'], ['a', 1], ['b']]
const SEGS = [undefined, 's1'] as const
const eidOf = (k: number, s: number) => k * 2 + s
const eidName = (eid: number) => `${JSON.stringify(KEYS[eid >> 1])}/${SEGS[eid & 1] ?? '-'}`

interface Data {
  eid: number
  run: string
  likes: number
}
const PLACEHOLDER: Data = Object.freeze({ eid: -1, run: 'placeholder', likes: -1 })
const selectFn = (d: Data) => ({ sel: d })

// ---- commands ----------------------------------------------------------------
type Command =
  | { t: 'mount'; key: number; seg: number; enabled: boolean; sel: boolean; ph: boolean; stale: number; strict: boolean }
  | { t: 'unmount'; pick: number }
  | { t: 'rekey'; pick: number; key: number; seg: number }
  | { t: 'toggle'; pick: number }
  | { t: 'answer'; pick: number; ok: boolean }
  | { t: 'invalidate'; target: number; remove: boolean }
  | { t: 'set'; key: number; seg: number }
  | { t: 'mutate'; key: number; delta: number; inv: boolean }
  | { t: 'settleMutation'; pick: number; ok: boolean }
  | { t: 'clear' }
  | { t: 'advance'; ms: number }
  | { t: 'focus' }

const TARGETS: InvalidationTarget[] = [
  {},
  { key: ['a'] },
  { key: ['a'], exact: true },
  { key: ['b'], segment: 's1' },
  { segment: 's1' },
  { key: ['a', 1] },
]
const k = fc.integer({ min: 0, max: KEYS.length - 1 })
const s = fc.integer({ min: 0, max: 1 })
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      t: fc.constant('mount' as const),
      key: k,
      seg: s,
      enabled: fc.constantFrom(true, true, true, false),
      sel: fc.boolean(),
      ph: fc.boolean(),
      stale: fc.constantFrom(0, 5000),
      strict: fc.boolean(),
    }),
  },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('unmount' as const), pick: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('rekey' as const), pick: fc.nat(5), key: k, seg: s }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('toggle' as const), pick: fc.nat(5) }) },
  { weight: 7, arbitrary: fc.record({ t: fc.constant('answer' as const), pick: fc.nat(5), ok: fc.boolean() }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('invalidate' as const), target: fc.nat(TARGETS.length - 1), remove: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('set' as const), key: k, seg: s }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('mutate' as const), key: k, delta: fc.integer({ min: 1, max: 3 }), inv: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ t: fc.constant('settleMutation' as const), pick: fc.nat(3), ok: fc.boolean() }) },
  { weight: 1, arbitrary: fc.constant({ t: 'clear' as const }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('advance' as const), ms: fc.constantFrom(1000, 6000) }) },
  { weight: 1, arbitrary: fc.constant({ t: 'focus' as const }) },
)

// ---- the harness -------------------------------------------------------------
interface Slot {
  id: number
  key: number
  seg: number
  enabled: boolean
  sel: boolean
  ph: boolean
  stale: number
  strict: boolean
}
interface Rendered {
  eid: number
  raw: Data | undefined
  data: unknown
  status: string
  error: Error | undefined
  isFetching: boolean
}
interface Call {
  id: number
  eid: number
  signal: AbortSignal
  settled: boolean
  cmd: number
  /** Its entry was dropped (clear, remove-mode invalidation): the components moved to a new fetch. */
  dropped?: boolean
  resolve(v: Data): void
  reject(e: Error): void
}
interface MutCall {
  id: number
  key: number
  delta: number
  settled: boolean
  resolve(v: string): void
  reject(e: Error): void
}
interface Layer {
  id: number
  delta: number
  rolledBack: boolean
}

let h: Harness

class Harness {
  cache: Cache
  seq = 0
  cmd = 'init'
  violations: string[] = []
  slots: Slot[] = []
  nextSlot = 0
  rendered = new Map<number, Rendered>()
  renders = new Map<number, number>()
  calls: Call[] = []
  mutCalls: MutCall[] = []
  mutHandles: (UseMutationResult<string, { id: number; delta: number; inv: boolean }> | undefined)[] = []
  mutLatest: (MutCall | undefined)[] = [undefined, undefined, undefined]
  mutRendered: (string | undefined)[] = []
  invalidate: ((t?: InvalidationTarget, o?: { mode?: 'stale' | 'remove' }) => Promise<number>) | undefined
  removed = new Set<unknown>()
  /** The optimistic model of each key's unsegmented entry: likes of the last outside write + live layers. */
  opt: { base: Data | undefined; layers: Layer[] }[] = KEYS.map(() => ({ base: undefined, layers: [] }))
  lastData: (Data | undefined)[] = KEYS.map(() => undefined)
  runs = 0
  errors: unknown[][] = []
  view: ReturnType<typeof render> | undefined

  constructor() {
    this.cache = createCache({ retry: 0, gcTime: 5000, now: () => Date.now() })
  }

  fail(msg: string) {
    this.violations.push(`[${this.seq}] ${this.cmd}: ${msg}`)
  }

  fetcher = (ctx: FetchContext): Promise<Data> => {
    const seg = SEGS.indexOf(ctx.segment as never)
    const key = KEYS.findIndex((x) => JSON.stringify(x) === JSON.stringify(ctx.key))
    const eid = eidOf(key, seg)
    let resolve!: (v: Data) => void
    let reject!: (e: Error) => void
    const promise = new Promise<Data>((res, rej) => {
      resolve = res
      reject = rej
    })
    const call: Call = { id: this.calls.length, eid, signal: ctx.signal, settled: false, cmd: this.seq, resolve, reject }
    this.calls.push(call)
    // Rule: no fetch for a (key, segment) no enabled component shows.
    if (!this.slots.some((x) => x.enabled && eidOf(x.key, x.seg) === eid)) this.fail(`fetch of ${eidName(eid)} with no enabled component on it`)
    // Rule: one fetch per (key, segment) at a time, however many components (and StrictMode).
    const live = this.calls.filter((c) => c.eid === eid && !c.settled && !c.signal.aborted && c !== call)
    if (live.length > 0) this.fail(`second fetch of ${eidName(eid)} while run ${live.map((c) => c.id).join(',')} is in flight`)
    return promise
  }

  onRender(slot: Slot, r: Rendered) {
    this.renders.set(slot.id, (this.renders.get(slot.id) ?? 0) + 1)
    this.rendered.set(slot.id, r)
    // Rules checked on every render, even one replaced before the command ends.
    if (r.raw !== undefined && r.raw !== PLACEHOLDER) {
      if (r.raw.eid !== r.eid) this.fail(`slot ${slot.id} on ${eidName(r.eid)} rendered data of ${eidName(r.raw.eid)} (${r.raw.run})`)
      if (this.removed.has(r.raw)) this.fail(`slot ${slot.id} rendered removed data ${r.raw.run}`)
    }
  }

  async flush() {
    await act(async () => {
      await vi.advanceTimersByTimeAsync(0)
    })
    // Fake timers run a zero-delay timer or immediate set inside a timer callback 1 ms
    // later (@sinonjs/fake-timers: `duringTick ? 1 : 0`): the batched notification of a
    // stale flip needs that 1 ms, which a browser's MessageChannel never waits for.
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1)
    })
  }

  rerender() {
    this.view!.rerender(<App slots={[...this.slots]} />)
  }

  async start() {
    await act(async () => {
      this.view = render(<App slots={[]} />)
    })
  }

  get(eid: number): Entry<Data> | undefined {
    return this.cache.get<Data>(KEYS[eid >> 1]!, SEGS[eid & 1])
  }

  snapshotData(): (Data | undefined)[] {
    return Array.from({ length: KEYS.length * 2 }, (_, eid) => this.get(eid)?.data)
  }

  async run(c: Command) {
    this.seq++
    this.cmd = JSON.stringify(c)
    this.renders.clear()
    const before = this.snapshotData()
    const liveBefore = this.calls.filter((x) => !x.settled && !x.signal.aborted)
    let optimisticCommand = false
    switch (c.t) {
      case 'mount': {
        if (this.slots.length >= 6) return
        this.slots.push({ id: this.nextSlot++, key: c.key, seg: c.seg, enabled: c.enabled, sel: c.sel, ph: c.ph, stale: c.stale, strict: c.strict })
        await act(async () => this.rerender())
        break
      }
      case 'unmount': {
        if (this.slots.length === 0) return
        const [gone] = this.slots.splice(c.pick % this.slots.length, 1)
        this.rendered.delete(gone!.id)
        await act(async () => this.rerender())
        break
      }
      case 'rekey': {
        if (this.slots.length === 0) return
        const i = c.pick % this.slots.length
        this.slots[i] = { ...this.slots[i]!, key: c.key, seg: c.seg }
        await act(async () => this.rerender())
        break
      }
      case 'toggle': {
        if (this.slots.length === 0) return
        const i = c.pick % this.slots.length
        this.slots[i] = { ...this.slots[i]!, enabled: !this.slots[i]!.enabled }
        await act(async () => this.rerender())
        break
      }
      case 'answer': {
        const live = this.calls.filter((x) => !x.settled && !x.signal.aborted)
        if (live.length === 0) return
        const call = live[c.pick % live.length]!
        call.settled = true
        this.cmd += ` -> run ${call.id} of ${eidName(call.eid)}`
        await act(async () => {
          if (c.ok) call.resolve({ eid: call.eid, run: `r${call.id}`, likes: 1000 * (call.id + 1) })
          else call.reject(new Error(`boom ${call.id}`))
        })
        break
      }
      case 'invalidate': {
        await act(async () => {
          void this.invalidate!(TARGETS[c.target], c.remove ? { mode: 'remove' } : undefined)
        })
        if (c.remove) {
          for (const x of liveBefore) x.dropped = true
          // What a remove-mode invalidation dropped must never render again.
          before.forEach((d, eid) => {
            const e = this.get(eid)
            if (d !== undefined && e?.data !== d) this.removed.add(d)
          })
        }
        break
      }
      case 'set': {
        const eid = eidOf(c.key, c.seg)
        const n = this.runs++
        await act(async () => this.cache.set(KEYS[c.key]!, { eid, run: `s${n}`, likes: 1_000_000 + 1000 * n }, { segment: SEGS[c.seg] }))
        break
      }
      case 'mutate': {
        const handle = this.mutHandles[c.key]!
        const id = this.mutCalls.length
        optimisticCommand = true
        const model = this.opt[c.key]!
        model.layers.push({ id, delta: c.delta, rolledBack: false })
        const vars = { id, delta: c.delta, inv: c.inv }
        await act(async () => {
          handle.mutateAsync(vars).then(
            () => {
              // mutateAsync resolves once the invalidations are marked.
              if (c.inv) {
                for (const seg of [0, 1]) {
                  const e = this.get(eidOf(c.key, seg))
                  if (e && !e.isStale) this.fail(`mutateAsync(${id}) resolved before ${eidName(eidOf(c.key, seg))} was marked stale`)
                }
              }
            },
            () => {},
          )
        })
        break
      }
      case 'settleMutation': {
        const live = this.mutCalls.filter((x) => !x.settled)
        if (live.length === 0) return
        const call = live[c.pick % live.length]!
        call.settled = true
        optimisticCommand = true
        this.cmd += ` -> mutation ${call.id} on ${JSON.stringify(KEYS[call.key])}`
        const layer = this.opt[call.key]!.layers.find((l) => l.id === call.id)
        if (!c.ok && layer) layer.rolledBack = true
        await act(async () => {
          if (c.ok) call.resolve(`ok ${call.id}`)
          else call.reject(new Error(`mutation ${call.id} failed`))
        })
        break
      }
      case 'clear': {
        for (const x of liveBefore) x.dropped = true
        await act(async () => this.cache.clear())
        for (const d of before) if (d !== undefined) this.removed.add(d)
        break
      }
      case 'advance': {
        await act(async () => {
          await vi.advanceTimersByTimeAsync(c.ms)
        })
        break
      }
      case 'focus': {
        await act(async () => {
          document.dispatchEvent(new Event('visibilitychange', { bubbles: true }))
        })
        break
      }
    }
    await this.flush()
    if (c.t === 'settleMutation') {
      // A rollback to "no data" is a remove-mode invalidation of the entry: its fetch may be replaced.
      for (const x of liveBefore) if (this.get(x.eid)?.data === undefined) x.dropped = true
    }
    this.check(liveBefore, optimisticCommand)
  }

  check(liveBefore: Call[], optimisticCommand: boolean) {
    // Renders bounded: no render loop.
    for (const [id, n] of this.renders) if (n > 8) this.fail(`slot ${id} rendered ${n} times in one command`)
    // Every mounted component shows what its entry holds.
    for (const slot of this.slots) {
      const r = this.rendered.get(slot.id)
      const eid = eidOf(slot.key, slot.seg)
      if (!r) {
        this.fail(`slot ${slot.id} never rendered`)
        continue
      }
      if (r.eid !== eid) this.fail(`slot ${slot.id} last rendered ${eidName(r.eid)}, props say ${eidName(eid)}`)
      const e = this.get(eid)
      const showsPlaceholder = slot.ph && (e === undefined || (e.status === 'pending' && e.data === undefined))
      const raw = showsPlaceholder ? PLACEHOLDER : e?.data
      const tag = `slot ${slot.id} (${eidName(eid)}${slot.sel ? ' select' : ''}${slot.ph ? ' placeholder' : ''})`
      if (r.raw !== raw) this.fail(`${tag} renders ${r.raw?.run}, entry holds ${raw?.run}`)
      if (slot.sel && raw !== undefined && (r.data as { sel: unknown }).sel !== raw) this.fail(`${tag} select not applied`)
      const status = e?.status ?? 'pending'
      if (r.status !== status) this.fail(`${tag} status ${r.status}, entry ${status}`)
      if (r.error !== e?.error) this.fail(`${tag} error ${r.error?.message}, entry ${e?.error?.message}`)
      if (r.isFetching !== (e?.isFetching ?? false)) this.fail(`${tag} isFetching ${r.isFetching}, entry ${e?.isFetching}`)
      if (r.status === 'success' && r.raw === undefined) this.fail(`${tag} success without data`)
      if (r.status === 'error' && r.error === undefined) this.fail(`${tag} error without error`)
      if (r.status === 'pending' && r.error !== undefined) this.fail(`${tag} pending with an error`)
      if (r.status === 'pending' && r.raw !== undefined && r.raw !== PLACEHOLDER) this.fail(`${tag} pending with data ${r.raw.run}`)
    }
    // Abort: a run no component waits for any more is aborted; a run one waits for is not.
    for (const call of this.calls) {
      if (call.settled) continue
      const watched = this.slots.some((x) => eidOf(x.key, x.seg) === call.eid)
      if (!watched && !call.signal.aborted) this.fail(`run ${call.id} of ${eidName(call.eid)} not aborted with no component on it`)
      const waits = this.slots.some((x) => x.enabled && eidOf(x.key, x.seg) === call.eid)
      if (waits && call.signal.aborted && !call.dropped && liveBefore.includes(call) && this.get(call.eid)?.isFetching) {
        this.fail(`run ${call.id} of ${eidName(call.eid)} aborted while its entry still fetches for a component`)
      }
    }
    // Optimistic layers: the entry holds the last outside write plus the live layers, in order.
    for (let key = 0; key < KEYS.length; key++) {
      const model = this.opt[key]!
      const data = this.get(eidOf(key, 0))?.data
      if (!optimisticCommand && data !== this.lastData[key]) {
        // A write from elsewhere (fetch, set, remove, clear) wins: earlier layers are now part of the past
        // (a later layer's rollback never replays them: hooks-findings.test.tsx).
        model.base = data
        model.layers = []
      }
      const live = model.layers.filter((l) => !l.rolledBack)
      if (optimisticCommand) {
        if (live.length === 0) {
          if (data?.likes !== model.base?.likes) this.fail(`${JSON.stringify(KEYS[key])} likes ${data?.likes}, expected ${model.base?.likes} (all layers rolled back)`)
        } else {
          const expected = (model.base?.likes ?? 0) + live.reduce((sum, l) => sum + l.delta, 0)
          if (data?.likes !== expected) {
            this.fail(`${JSON.stringify(KEYS[key])} likes ${data?.likes}, expected ${expected} (base ${model.base?.run}:${model.base?.likes}, layers ${live.map((l) => `#${l.id}+${l.delta}`).join(' ')})`)
          }
        }
      }
      // Layers drop out of the model once every one of them has settled.
      if (this.mutCalls.every((m) => m.key !== key || m.settled)) {
        model.layers = []
        model.base = data
      }
      this.lastData[key] = data
    }
    // The mutation hook renders its latest call's state.
    for (let key = 0; key < KEYS.length; key++) {
      const latest = this.mutLatest[key]
      if (!latest) continue
      const expected = !latest.settled ? 'pending' : undefined
      if (expected && this.mutRendered[key] !== expected) this.fail(`mutation on ${JSON.stringify(KEYS[key])} renders ${this.mutRendered[key]}, latest call pending`)
    }
    if (this.errors.length > 0) {
      this.fail(`console.error: ${this.errors.map((a) => String(a[0]).slice(0, 200)).join(' | ')}`)
      this.errors = []
    }
  }

  async finish() {
    this.cmd = 'finish'
    await act(async () => this.view!.unmount())
    this.slots = []
    await this.flush()
    for (const call of this.calls) {
      if (!call.settled && !call.signal.aborted) this.fail(`run ${call.id} of ${eidName(call.eid)} not aborted after everything unmounted`)
    }
    for (const m of this.mutCalls) if (!m.settled) m.resolve('late')
    await this.flush()
    if (this.errors.length > 0) this.fail(`console.error: ${this.errors.map((a) => String(a[0]).slice(0, 200)).join(' | ')}`)
    this.cache.clear()
    if (this.violations.length > 0) throw new Error(this.violations.join('\n'))
  }
}

// ---- the app -----------------------------------------------------------------
const fetcher = (ctx: FetchContext) => h.fetcher(ctx)

function Query({ slot }: { slot: Slot }) {
  const r = useCachedQuery<Data, unknown>({
    key: KEYS[slot.key]!,
    fetcher,
    enabled: slot.enabled,
    select: slot.sel ? selectFn : undefined,
    placeholderData: slot.ph ? PLACEHOLDER : undefined,
    staleTime: slot.stale,
  })
  const data = r.data
  const raw = slot.sel ? (data as { sel: Data } | undefined)?.sel : (data as Data | undefined)
  h.onRender(slot, { eid: eidOf(slot.key, slot.seg), raw, data, status: r.status, error: r.error, isFetching: r.isFetching })
  return null
}

const SlotView = memo(function SlotView({ slot }: { slot: Slot }) {
  const inner = (
    <CacheProvider cache={h.cache} segment={SEGS[slot.seg]}>
      <Query slot={slot} />
    </CacheProvider>
  )
  return slot.strict ? <StrictMode>{inner}</StrictMode> : inner
})

function Mutator({ index }: { index: number }) {
  const calls = useRef(0)
  const m = useMutation<string, { id: number; delta: number; inv: boolean }>({
    mutationFn: (vars) => {
      calls.current++
      return new Promise<string>((resolve, reject) => {
        const call: MutCall = { id: vars.id, key: index, delta: vars.delta, settled: false, resolve, reject }
        h.mutCalls[vars.id] = call
        h.mutLatest[index] = call
      })
    },
    optimistic: {
      key: KEYS[index]!,
      update: (old, vars) => {
        const d = old as Data | undefined
        return d === undefined ? { eid: eidOf(index, 0), run: 'optimistic', likes: vars.delta } : { ...d, likes: d.likes + vars.delta }
      },
    },
    invalidates: (_data, vars) => (vars.inv ? [{ key: KEYS[index]!, exact: true }] : []),
  })
  h.mutHandles[index] = m
  h.mutRendered[index] = m.status
  return null
}

function Invalidator() {
  h.invalidate = useInvalidate()
  return null
}

function App({ slots }: { slots: Slot[] }) {
  return (
    <>
      <CacheProvider cache={h.cache}>
        <Invalidator />
        {KEYS.map((_, i) => (
          <Mutator key={i} index={i} />
        ))}
      </CacheProvider>
      {slots.map((slot) => (
        <SlotView key={slot.id} slot={slot} />
      ))}
    </>
  )
}

describe('React hooks against the contract (property)', () => {
  afterEach(() => {
    cleanup()
    vi.useRealTimers()
  })

  it('every command sequence keeps the hooks invariants', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(commandArb, { minLength: 3, maxLength: 25 }), async (commands) => {
        vi.useFakeTimers()
        h = new Harness()
        const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
          h.errors.push(args)
        })
        try {
          await h.start()
          for (const c of commands) {
            await h.run(c)
            if (process.env.MODEL_LOG) console.log(h.cmd)
          }
          await h.finish()
        } finally {
          spy.mockRestore()
          cleanup()
          vi.clearAllTimers()
        }
      }),
      {
        numRuns: Number(process.env.MODEL_RUNS ?? 1000),
        seed: Number(process.env.MODEL_SEED ?? 20_251_126),
        ...(process.env.MODEL_PATH ? { path: process.env.MODEL_PATH } : {}),
        endOnFailure: false,
      },
    )
  })
})
