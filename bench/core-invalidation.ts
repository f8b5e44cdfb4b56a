// Micro-benchmark: is tag invalidation indexed?
//
// Builds two caches, of 1,000 and of 100,000 entries, where exactly 10 entries
// carry the target tag, then times `cache.invalidate({ tags: [target] })`.
// With an index the cost follows the 10 matches, not the cache size, so the
// large cache may be at most 2x slower. Prints both medians and the ratio;
// exits 1 when the ratio is over 2.
//
//   npm run bench:core
//
// Two measurements: the synchronous call (marking the matches stale, which
// happens before invalidate() returns), and the call awaited to its count.
// Between timed calls the 10 entries are made fresh again with set(), outside
// the timed part, so every call has the same work to do.

import { createCache } from '../src/core/cache'
import type { Cache } from '../src/core/types'

const SIZES = [1_000, 100_000] as const
const MATCHES = 10
const TARGET = 'product:target'
const SAMPLES_PER_ROUND = 1_000
const WARMUP_SAMPLES = 300
const ROUNDS = 7
const CONTROL_SAMPLES = 15
const LIMIT = 2

interface Bench {
  size: number
  cache: Cache
  targets: { key: unknown[]; segment: string | undefined }[]
}

const SEGMENTS = [undefined, 'arm:a', 'arm:b', 'tenant:7'] as const

/** A cache of `size` entries; exactly MATCHES of them list TARGET. */
function build(size: number): Bench {
  const cache = createCache({ staleTime: Infinity, gcTime: Infinity })
  const targets: Bench['targets'] = []
  const every = Math.floor(size / MATCHES)
  for (let i = 0; i < size; i++) {
    const segment = SEGMENTS[i % SEGMENTS.length]
    const key = i % 2 === 0 ? ['product', i] : ['recs', { user: i, page: i % 5 }]
    const tags = [`product:${i % 997}`, `category:${i % 31}`, i % 3 === 0 ? 'inventory' : 'prices']
    if (i % every === 0 && targets.length < MATCHES) {
      tags.push(TARGET)
      targets.push({ key, segment })
    }
    cache.set(key, { id: i, name: `item ${i}` }, { tags, segment })
  }
  if (cache.stats().entries !== size) throw new Error(`expected ${size} entries, got ${cache.stats().entries}`)
  if (targets.length !== MATCHES) throw new Error(`expected ${MATCHES} targets, got ${targets.length}`)
  return { size, cache, targets }
}

/** Makes the target entries fresh again (untimed), so each invalidation has work to do. */
function refresh({ cache, targets }: Bench): void {
  for (const { key, segment } of targets) cache.set(key, (old: unknown) => old, { segment, tags: [TARGET] })
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/** Median ns of the synchronous invalidate() call over `samples` calls. */
function timeSync(bench: Bench, samples: number): number {
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    refresh(bench)
    const start = process.hrtime.bigint()
    const pending = bench.cache.invalidate({ tags: [TARGET] })
    const end = process.hrtime.bigint()
    times.push(Number(end - start))
    void pending
  }
  return median(times)
}

/** Median ns of `await invalidate()` over `samples` calls. */
async function timeAwaited(bench: Bench, samples: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    refresh(bench)
    const start = process.hrtime.bigint()
    const count = await bench.cache.invalidate({ tags: [TARGET] })
    const end = process.hrtime.bigint()
    if (count !== MATCHES) throw new Error(`invalidate matched ${count}, expected ${MATCHES}`)
    times.push(Number(end - start))
  }
  return median(times)
}

/**
 * The control: the same 10 matches found by a predicate, which no index can
 * serve, so every entry is visited. Shows what an unindexed invalidation costs
 * here, and that this benchmark can tell the two apart. Not part of the verdict.
 */
function timeScan(bench: Bench, samples: number): number {
  const times: number[] = []
  for (let i = 0; i < samples; i++) {
    refresh(bench)
    const start = process.hrtime.bigint()
    void bench.cache.invalidate({ predicate: (entry) => entry.tags.includes(TARGET) })
    times.push(Number(process.hrtime.bigint() - start))
  }
  return median(times)
}

function collect(): void {
  ;(globalThis as { gc?: () => void }).gc?.()
}

function check(bench: Bench): void {
  refresh(bench)
  const staleBefore = bench.targets.filter(({ key, segment }) => bench.cache.get(key, segment)?.isStale).length
  void bench.cache.invalidate({ tags: [TARGET] })
  const staleAfter = bench.targets.filter(({ key, segment }) => bench.cache.get(key, segment)?.isStale).length
  if (staleBefore !== 0 || staleAfter !== MATCHES) {
    throw new Error(`size ${bench.size}: ${staleBefore} stale before, ${staleAfter} after (expected 0 and ${MATCHES})`)
  }
}

const format = (ns: number) => `${(ns / 1000).toFixed(2)} µs`

async function main(): Promise<void> {
  const benches = SIZES.map(build)
  benches.forEach(check)
  for (const bench of benches) {
    timeSync(bench, WARMUP_SAMPLES)
    await timeAwaited(bench, WARMUP_SAMPLES)
  }

  const sync = new Map<number, number[]>(SIZES.map((size) => [size, []]))
  const awaited = new Map<number, number[]>(SIZES.map((size) => [size, []]))
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order so neither size always runs right after a collection.
    const order = round % 2 === 0 ? benches : [...benches].reverse()
    for (const bench of order) {
      collect()
      sync.get(bench.size)?.push(timeSync(bench, SAMPLES_PER_ROUND))
      collect()
      awaited.get(bench.size)?.push(await timeAwaited(bench, SAMPLES_PER_ROUND))
    }
  }

  const [small, large] = SIZES
  const report = (label: string, results: Map<number, number[]>) => {
    const smallMedian = median(results.get(small) ?? [])
    const largeMedian = median(results.get(large) ?? [])
    const ratio = largeMedian / smallMedian
    console.log(
      `${label.padEnd(28)} ${small.toLocaleString('en')} entries: ${format(smallMedian).padStart(10)}   ` +
        `${large.toLocaleString('en')} entries: ${format(largeMedian).padStart(10)}   ratio ${ratio.toFixed(2)}`,
    )
    return ratio
  }

  console.log(
    `Tag invalidation matching ${MATCHES} entries; median of ${ROUNDS} rounds, each the median of ${SAMPLES_PER_ROUND} calls.`,
  )
  const ratios = [report('invalidate() (sync marking)', sync), report('await invalidate()', awaited)]
  const scan = new Map<number, number[]>(benches.map((bench) => [bench.size, [timeScan(bench, CONTROL_SAMPLES)]]))
  report('control: predicate (a scan)', scan)
  const worst = Math.max(...ratios)
  if (worst > LIMIT) {
    console.error(`FAIL: the ${large.toLocaleString('en')}-entry cache is ${worst.toFixed(2)}x slower (limit ${LIMIT}x): invalidation is not indexed`)
    process.exitCode = 1
  } else {
    console.log(`OK: ratio ${worst.toFixed(2)} <= ${LIMIT}`)
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exitCode = 1
})
