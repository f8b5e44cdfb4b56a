// @vitest-environment node
import fc from 'fast-check'
import { describe, expect, it, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache, Entry, InvalidationTarget, QueryKey } from '../../src/core/types'
import { fakeTimersEachTest } from '../helpers/core'

fakeTimersEachTest()

// MATCH_RUNS / MATCH_SEED override the fixed run count and seed (to dig deeper, or replay).
const RUNS = Number(process.env.MATCH_RUNS ?? 3_000)
const SEED = Number(process.env.MATCH_SEED ?? 20_250_321)

// ---- keys ---------------------------------------------------------------

// Mostly a few plain values, so keys share prefixes and collide; now and then
// one that hashing could get wrong (escapes, the hash's own separators \u0000
// and \u0001, a lone surrogate, -0, a float, strings that look like JSON).
const plainString = fc.constantFrom('a', 'b')
const oddString = fc.constantFrom('', 'é', '😀', '"', '\\', '\u0000', '\u0001', 'a\u0001b', '"a"', '\ud800', 'u', 'null', '0', '[', ',', ':')
const str = fc.oneof({ arbitrary: plainString, weight: 3 }, { arbitrary: oddString, weight: 1 })
const num = fc.oneof({ arbitrary: fc.constantFrom(0, 1), weight: 3 }, { arbitrary: fc.constantFrom(-0, -1, 1.5, -2.25, 1e21, 2 ** 53), weight: 1 })
const prim = fc.oneof(
  { arbitrary: str, weight: 4 },
  { arbitrary: num, weight: 3 },
  { arbitrary: fc.boolean(), weight: 1 },
  { arbitrary: fc.constant(null), weight: 1 },
)
const field = fc.constantFrom('x', 'y', '', 'a"b', 'é', '\u0001')
const level2 = fc.oneof(
  { arbitrary: prim, weight: 4 },
  { arbitrary: fc.array(prim, { maxLength: 2 }), weight: 1 },
  { arbitrary: fc.dictionary(field, prim, { maxKeys: 2 }), weight: 1 },
)
const level1 = fc.oneof(
  { arbitrary: prim, weight: 6 },
  { arbitrary: fc.array(level2, { maxLength: 3 }), weight: 1 },
  { arbitrary: fc.dictionary(field, level2, { maxKeys: 3 }), weight: 1 },
)
/** A key of depth <= 3: the array, a nested array or object, and one more level. */
const keyArb: fc.Arbitrary<unknown[]> = fc.array(level1, { maxLength: 4, size: 'max' })

/** The same key written differently: object fields in reverse order, 0 as -0. */
function rewrite(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewrite)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const name of Object.keys(value).reverse()) out[name] = rewrite((value as Record<string, unknown>)[name])
    return out
  }
  return value === 0 ? -0 : value
}

/** JSON equality, written out: arrays element by element, objects by field set (any order), 0 equals -0. */
function deepEqual(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false
    return a.every((item, i) => deepEqual(item, b[i]))
  }
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object') {
    const fa = Object.keys(a)
    const fb = Object.keys(b)
    if (fa.length !== fb.length) return false
    return fa.every((name) => Object.hasOwn(b, name) && deepEqual((a as Record<string, unknown>)[name], (b as Record<string, unknown>)[name]))
  }
  return a === b
}

function isPrefix(prefix: readonly unknown[], key: readonly unknown[]): boolean {
  return prefix.length <= key.length && prefix.every((item, i) => deepEqual(item, key[i]))
}

// ---- entries and targets -------------------------------------------------

const SEGMENTS = [undefined, 's1', 's2', '', 's\u0000x']
const TAGS = ['t1', 't2', 't3', 't4']
const MODELS = ['m1', 'm2']
const VERSIONS = ['v1', 'v2', 'v3']

const segmentArb = fc.constantFrom(...SEGMENTS)
const tagsArb = fc.option(fc.uniqueArray(fc.constantFrom(...TAGS), { maxLength: 3 }), { nil: undefined })
const modelArb = fc.option(fc.constantFrom(...MODELS), { nil: undefined })
/** Which pool key, and whether to write it differently. */
const keyRef = fc.record({ at: fc.nat(), rewritten: fc.boolean() })

const PREDICATES: Record<string, (entry: Entry<unknown>) => boolean> = {
  always: () => true,
  never: () => false,
  evenData: (entry) => typeof entry.data === 'number' && entry.data % 2 === 0,
  noSegment: (entry) => entry.segment === undefined,
  pending: (entry) => entry.status === 'pending',
}

const FIELDS = ['key', 'exact', 'tags', 'segment', 'model', 'modelVersion', 'predicate'] as const

/**
 * A target: a value for every field, and the fields it gives (mostly one or
 * two: a lone indexed field is answered from its index set without checks).
 * A segment, model or version given as undefined counts as not given.
 */
const targetArb = fc.record({
  fields: fc.oneof(
    fc.subarray([...FIELDS], { minLength: 1, maxLength: 1 }),
    fc.subarray([...FIELDS], { maxLength: 2 }),
    fc.subarray([...FIELDS]),
  ),
  key: fc.oneof(
    // A prefix (or all) of a pool key, possibly written differently: most targets hit something.
    { arbitrary: fc.record({ from: keyRef, cut: fc.nat({ max: 4 }) }), weight: 4 },
    { arbitrary: keyArb.map((key) => ({ random: key })), weight: 1 },
  ),
  exact: fc.boolean(),
  tags: fc.uniqueArray(fc.constantFrom(...TAGS, 'none'), { maxLength: 3 }),
  segment: fc.constantFrom(...SEGMENTS),
  model: fc.constantFrom(...MODELS, 'm3', undefined),
  modelVersion: fc.constantFrom(...VERSIONS, undefined),
  predicate: fc.constantFrom(...Object.keys(PREDICATES)),
})
type TargetSpec = typeof targetArb extends fc.Arbitrary<infer T> ? T : never

const modeArb = fc.constantFrom('stale' as const, 'remove' as const)

const opArb = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), key: keyRef, segment: segmentArb, tags: tagsArb, model: modelArb, data: fc.nat(99) }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('fetch' as const), key: keyRef, segment: segmentArb, tags: tagsArb, model: modelArb, data: fc.nat(99) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('version' as const), model: fc.constantFrom(...MODELS), version: fc.constantFrom(...VERSIONS), immediate: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('invalidate' as const), target: targetArb, mode: modeArb }), weight: 1 },
  // gcTime is 1000: past it, untouched entries are collected.
  { arbitrary: fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 1500 }) }), weight: 1 },
)
type Op = typeof opArb extends fc.Arbitrary<infer T> ? T : never

const finalArb = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('invalidate' as const), target: targetArb, mode: modeArb }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('version' as const), model: fc.constantFrom(...MODELS), version: fc.constantFrom(...VERSIONS), immediate: fc.constant(true) }), weight: 1 },
)

type FinalOp = typeof finalArb extends fc.Arbitrary<infer T> ? T : never

// ---- running a scenario --------------------------------------------------

interface Pair {
  key: QueryKey
  segment: string | undefined
}

interface World {
  cache: Cache
  pool: unknown[][]
  /** Every (key, segment) the scenario used, in the forms it used them. */
  used: Pair[]
}

function pick(world: World, ref: { at: number; rewritten: boolean }): unknown[] {
  const key = world.pool[ref.at % world.pool.length]!
  return ref.rewritten ? (rewrite(key) as unknown[]) : key
}

function buildTarget(world: World, spec: TargetSpec): InvalidationTarget {
  const target: Record<string, unknown> = {}
  for (const name of spec.fields) {
    if (name === 'key') target.key = 'random' in spec.key ? spec.key.random : pick(world, spec.key.from).slice(0, spec.key.cut)
    else if (name === 'predicate') target.predicate = PREDICATES[spec.predicate]
    else target[name] = spec[name]
  }
  return target as InvalidationTarget
}

async function apply(world: World, op: Op): Promise<void> {
  const { cache } = world
  switch (op.op) {
    case 'set':
    case 'fetch': {
      const key = pick(world, op.key)
      world.used.push({ key, segment: op.segment })
      const opts = { segment: op.segment, tags: op.tags, model: op.model }
      if (op.op === 'set') cache.set(key, op.data, opts)
      else await cache.fetch({ key, ...opts, fetcher: async () => op.data })
      return
    }
    case 'version':
      cache.setModelVersion(op.model, op.version, { policy: op.immediate ? 'immediate' : 'lazy' })
      return
    case 'invalidate':
      await cache.invalidate(buildTarget(world, op.target), { mode: op.mode })
      return
    case 'advance':
      vi.advanceTimersByTime(op.ms)
      return
  }
}

/** The cache's entries, one (key, segment) each, told apart by their snapshots (the same object until one changes). */
function liveEntries(world: World): { pair: Pair; snapshot: Entry<unknown> }[] {
  const found: { pair: Pair; snapshot: Entry<unknown> }[] = []
  for (const pair of world.used) {
    const snapshot = world.cache.get(pair.key, pair.segment)
    if (!snapshot) continue
    // The same entry exactly when the keys are deep-equal and the segments equal.
    for (const other of found) {
      const same = other.pair.segment === pair.segment && deepEqual(other.pair.key, pair.key)
      expect(other.snapshot === snapshot, `${JSON.stringify(other.pair)} vs ${JSON.stringify(pair)}`).toBe(same)
    }
    if (found.some((other) => other.snapshot === snapshot)) continue
    expect(deepEqual(snapshot.key, pair.key)).toBe(true)
    expect(snapshot.segment).toBe(pair.segment)
    found.push({ pair, snapshot })
  }
  return found
}

/** The contract, written out: every given field must match; undefined counts as not given. */
function referenceMatch(pair: Pair, entry: Entry<unknown>, target: InvalidationTarget): boolean {
  if (target.key !== undefined) {
    if (target.exact ? !deepEqual(target.key, pair.key) : !isPrefix(target.key, pair.key)) return false
  }
  if (target.tags !== undefined && !target.tags.some((tag) => entry.tags.includes(tag))) return false
  if (target.segment !== undefined && entry.segment !== target.segment) return false
  if (target.model !== undefined && entry.model !== target.model) return false
  if (target.modelVersion !== undefined && entry.modelVersion !== target.modelVersion) return false
  if (target.predicate !== undefined && !target.predicate(entry)) return false
  return true
}

function describeEntry(pair: Pair, entry: Entry<unknown>): string {
  return JSON.stringify({ key: pair.key, segment: pair.segment, tags: entry.tags, model: entry.model, modelVersion: entry.modelVersion, data: entry.data, isStale: entry.isStale })
}

async function runScenario(pool: unknown[][], ops: Op[], final: FinalOp) {
  const cache = createCache({ staleTime: Infinity, gcTime: 1000, retry: 0, models: { m1: 'v1' }, now: () => Date.now() })
  const world: World = { cache, pool, used: [] }
  for (const op of ops) await apply(world, op)

  const before = liveEntries(world)
  let expected: boolean[]
  let count: number | undefined
  let mode: 'stale' | 'remove' = 'stale'
  let target: InvalidationTarget | undefined
  if (final.op === 'invalidate') {
    target = buildTarget(world, final.target)
    mode = final.mode
    expected = before.map(({ pair, snapshot }) => referenceMatch(pair, snapshot, target!))
    count = await cache.invalidate(target, { mode })
  } else {
    expected = before.map(({ snapshot }) => snapshot.model === final.model && snapshot.modelVersion !== final.version)
    cache.setModelVersion(final.model, final.version, { policy: 'immediate' })
  }

  const context = () =>
    `final ${final.op} ${target ? JSON.stringify(target, (_, v: unknown) => (typeof v === 'function' ? 'predicate' : v)) : JSON.stringify(final)} mode ${mode}\n` +
    before.map(({ pair, snapshot }, i) => `${expected[i] ? 'HIT ' : '    '}${describeEntry(pair, snapshot)}`).join('\n')

  if (count !== undefined) expect(count, context()).toBe(expected.filter(Boolean).length)
  before.forEach(({ pair, snapshot }, i) => {
    const after = cache.get(pair.key, pair.segment)
    const what = `${describeEntry(pair, snapshot)}\n${context()}`
    expect(after, what).toBeDefined()
    if (!expected[i]) {
      // Untouched: not even a new snapshot.
      expect(after, `changed but not a match: ${what}`).toBe(snapshot)
    } else if (mode === 'remove') {
      expect(after!.status, `not removed: ${what}`).toBe('pending')
      expect(after!.data, `not removed: ${what}`).toBeUndefined()
    } else {
      expect(after!.isStale, `not marked stale: ${what}`).toBe(true)
      expect(after!.data).toBe(snapshot.data)
    }
  })
}

describe('invalidate() and setModelVersion() pick exactly the entries the contract names (property)', () => {
  it('matches a brute-force reference on random entries, histories and targets', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyArb, { minLength: 1, maxLength: 6 }),
        fc.array(opArb, { maxLength: 25 }),
        finalArb,
        async (pool, ops, final) => runScenario(pool, ops, final),
      ),
      { numRuns: RUNS, seed: SEED },
    )
  })
})

describe('invalidation target edges (examples)', () => {
  const fresh = () => createCache({ staleTime: Infinity, now: () => Date.now() })
  const staleKeys = (cache: Cache, pairs: Pair[]) =>
    pairs.filter((pair) => cache.get(pair.key, pair.segment)?.isStale).map((pair) => [pair.key, pair.segment])

  it("keeps the hash's separators apart from the same characters in a string or a segment", async () => {
    const cache = fresh()
    const pairs: Pair[] = [
      { key: ['a', 'b'], segment: undefined },
      { key: ['a\u0001b'], segment: undefined },
      { key: ['a', 'b\u0000'], segment: undefined },
      { key: ['a'], segment: 'b' },
      { key: ['a'], segment: '\u0000' },
      { key: ['a', 'b'], segment: 'x\u0001y' },
    ]
    pairs.forEach((pair, i) => cache.set(pair.key, i, { segment: pair.segment }))
    await expect(cache.invalidate({ key: ['a', 'b'], exact: true })).resolves.toBe(2)
    expect(staleKeys(cache, pairs)).toEqual([
      [['a', 'b'], undefined],
      [['a', 'b'], 'x\u0001y'],
    ])
    await expect(cache.invalidate({ key: ['a'] })).resolves.toBe(5)
    await expect(cache.invalidate({ key: ['a'], exact: true, segment: '\u0000' })).resolves.toBe(1)
  })

  it('treats 0 and -0, and objects with fields in any order, as one key element; an empty prefix hits every entry', async () => {
    const cache = fresh()
    cache.set(['p', 0, { x: 1, y: [2, { b: 1, a: 0 }] }, 'z'], 'one', { segment: 's' })
    cache.set(['p', -0, { y: [2, { a: -0, b: 1 }], x: 1 }, 'z'], 'same', { segment: 's' })
    cache.set(['q'], 'other')
    expect(cache.get(['p', 0, { x: 1, y: [2, { a: 0, b: 1 }] }, 'z'], 's')?.data).toBe('same')
    await expect(cache.invalidate({ key: ['p', -0, { y: [2, { b: 1, a: 0 }], x: 1 }] })).resolves.toBe(1)
    await expect(cache.invalidate({ key: ['p', 0, { x: 1 }] })).resolves.toBe(0)
    await expect(cache.invalidate({ key: [] })).resolves.toBe(2)
    await expect(cache.invalidate({ key: [], exact: true })).resolves.toBe(0)
  })

  it('tags: [] lists no tag, so it hits nothing; fields given as undefined count as not given', async () => {
    const cache = fresh()
    cache.set(['a'], 1, { tags: ['t'] })
    cache.set(['b'], 2, { segment: 's' })
    await expect(cache.invalidate({ tags: [] })).resolves.toBe(0)
    await expect(cache.invalidate({ tags: [], key: ['a'] })).resolves.toBe(0)
    await expect(cache.invalidate({ tags: undefined, segment: undefined, model: undefined, modelVersion: undefined })).resolves.toBe(2)
  })

  it('re-tagging and removal leave no trace in the tag and prefix indexes', async () => {
    const cache = createCache({ staleTime: Infinity, gcTime: 1000, now: () => Date.now() })
    cache.set(['x', 1, 'a'], 1, { tags: ['old', 'both'] })
    cache.set(['x', 1, 'b'], 2, { tags: ['old'], segment: 's' })
    cache.set(['x', 1, 'a'], 3, { tags: ['both', 'new'] })
    await cache.fetch({ key: ['x', 1, 'b'], segment: 's', tags: [], fetcher: async () => 4 })
    await expect(cache.invalidate({ tags: ['old'] })).resolves.toBe(0)
    await expect(cache.invalidate({ tags: ['new'] })).resolves.toBe(1)
    vi.advanceTimersByTime(1000) // both collected
    cache.set(['x', 1], 5, { segment: 's' })
    await expect(cache.invalidate({ key: ['x', 1] })).resolves.toBe(1)
    await expect(cache.invalidate({ tags: ['both'] })).resolves.toBe(0)
    await expect(cache.invalidate({ key: ['x', 1], exact: true })).resolves.toBe(1)
  })
})
