/**
 * `npm run bench:profile` — where the time of many-keys goes (2,000
 * components on distinct keys), library by library: the profile behind the
 * README's account of that scenario. Each library runs in a process of its
 * own, so one library's garbage is never collected during another's runs.
 *
 *   --only cachet,floor-batched,swr   libraries (also: tanstack, floor)
 *   --runs n                          timed runs per library (default 12; 2 warm-ups before)
 *   --top n                           also list each library's n functions with the most self time
 *   --allocs n                        also list each library's n functions that allocate the most bytes
 *   --no-inlining                     run the workers with V8's inlining off: the heap profiler charges
 *                                     an inlined function's allocations to its caller, so --allocs is
 *                                     exact only with this (times are then not comparable)
 *
 * For each library it prints the median time until all show data; the
 * garbage collection inside that window (ms, and how many collections); the
 * bytes allocated in it (a sampling heap profile of five more runs); and
 * CPU self time split by where the code comes from (a CPU profile of five
 * more runs): the library, React, jsdom, the collector, the bench's own
 * app, adapters and fake backend, and Node (timers, microtask queue).
 * `floor-batched` is the floor with cachet's batching: what batching alone
 * is worth, without a cache.
 */
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import type { Adapter } from './adapters/types'
import { range, timedOptions, withBench } from './scenarios/setup'
import { summarize } from './stats'

const args = process.argv.slice(2)
const option = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const COMPONENTS = 2_000
const PROFILED_RUNS = 5

const loaders: Record<string, () => Promise<Adapter>> = {
  cachet: async () => (await import('./adapters/cachet')).cachetAdapter,
  tanstack: async () => (await import('./adapters/tanstack')).tanstackAdapter,
  swr: async () => (await import('./adapters/swr')).swrAdapter,
  floor: async () => (await import('./adapters/floor')).floorAdapter,
  'floor-batched': async () => (await import('./adapters/floor')).floorBatchedAdapter,
}

interface Profile {
  library: string
  ms: number[]
  gcMs: number[]
  collections: number[]
  allocatedMb: number
  /** CPU self ms per run, by origin. */
  cpu: Record<string, number>
  /** CPU self ms per run of the library's own functions (name :line in its bundle). */
  functions: Record<string, number>
  /** Bytes per run allocated by the library's own functions (name :line in its bundle). */
  allocations: Record<string, number>
  /** Bytes per run allocated, by origin. */
  allocatedBy: Record<string, number>
}

interface Around {
  before(): Promise<unknown>
  after(): Promise<unknown>
}

const nothing: Around = { before: async () => {}, after: async () => {} }

/** One many-keys run; `around` wraps the timed window (show → all data on screen). */
async function manyKeys(adapter: Adapter, around: Around): Promise<{ start: number; ms: number }> {
  return withBench(adapter, timedOptions, async ({ show, probe, backend }) => {
    const items = range(COMPONENTS).map((index) => ({ index, query: { key: ['product', index] } }))
    const expected = new Map(items.map(({ index, query }) => [index, backend.valueOf(query)]))
    await around.before()
    const start = performance.now()
    show(items)
    const end = await probe.waitUntil(expected, 'many-keys')
    await around.after()
    return { start, ms: end - start }
  })
}

interface HeapNode {
  callFrame: CallFrame
  selfSize: number
  children: HeapNode[]
}

const bytesIn = (node: HeapNode): number => node.children.reduce((sum, child) => sum + bytesIn(child), node.selfSize)

/**
 * Adds each node's self bytes (what its function allocated itself, not its
 * callees) to its origin in `byOrigin`, and a library function's to its name in `library`.
 */
function splitAllocations(
  node: HeapNode,
  origin: (frame: CallFrame) => string,
  byOrigin: Record<string, number>,
  library: Record<string, number>,
): void {
  if (node.selfSize > 0) {
    const from = origin(node.callFrame)
    byOrigin[from] = (byOrigin[from] ?? 0) + node.selfSize
    if (from === 'library') {
      const name = nameOf(node.callFrame)
      library[name] = (library[name] ?? 0) + node.selfSize
    }
  }
  for (const child of node.children) splitAllocations(child, origin, byOrigin, library)
}

/** Which part of the bundle a line of it came from: esbuild marks each module with a `// path` comment. */
function originsOf(bundle: string): (line: number) => string {
  const starts: [number, string][] = []
  bundle.split('\n').forEach((text, line) => {
    const path = /^\/\/ (\S+\.tsx?)$/.exec(text)?.[1]
    if (path) starts.push([line, path.startsWith('src/') ? 'library' : 'bench'])
  })
  return (line) => {
    let origin = 'bench'
    for (const [start, name] of starts) if (start <= line) origin = name
    return origin
  }
}

interface CallFrame {
  url: string
  functionName: string
  lineNumber: number
}

const nameOf = (frame: CallFrame) => `${frame.functionName || '(anonymous)'} :${frame.lineNumber + 1}`

/** Where a frame's code comes from: the library, React, jsdom, the bench (app, adapters, backend) or Node. */
function originOf(frame: CallFrame, bundleOrigin: (line: number) => string): string {
  const { url, functionName } = frame
  if (functionName === '(garbage collector)') return 'gc'
  // The inspector starting the profiler: not the page's work.
  if (functionName === 'dispatch' && url === '') return 'profiler'
  if (url.endsWith('/.profile.mjs')) return bundleOrigin(frame.lineNumber)
  if (url.includes('/react-dom/') || url.includes('/react/') || url.includes('/scheduler/')) return 'react'
  if (/\/(jsdom|symbol-tree|nwsapi|cssstyle|whatwg-|webidl-|parse5|css-tree|@asamuzakjp)/.test(url)) return 'jsdom'
  if (/\/(swr|@tanstack)\//.test(url)) return 'library'
  if (functionName === '(idle)' || functionName === '(program)') return 'idle'
  return 'node'
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[]
  samples: number[]
  timeDeltas: number[]
}

function splitCpu(
  profile: CpuProfile,
  bundleOrigin: (line: number) => string,
  into: Record<string, number>,
  functions: Record<string, number>,
): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!
    const ms = (profile.timeDeltas[i] ?? 0) / 1000
    const origin = originOf(frame, bundleOrigin)
    into[origin] = (into[origin] ?? 0) + ms
    if (origin === 'library') {
      const name = nameOf(frame)
      functions[name] = (functions[name] ?? 0) + ms
    }
  })
}

async function worker(library: string, runs: number): Promise<Profile> {
  const adapter = await loaders[library]!()
  const session = new Session()
  session.connect()
  const collections: { start: number; duration: number }[] = []
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) collections.push({ start: entry.startTime, duration: entry.duration })
  })
  observer.observe({ entryTypes: ['gc'] })
  const profile: Profile = { library, ms: [], gcMs: [], collections: [], allocatedMb: 0, cpu: {}, functions: {}, allocations: {}, allocatedBy: {} }
  const bundleOrigin = originsOf(readFileSync(fileURLToPath(import.meta.url), 'utf8'))

  for (let run = 0; run < 2 + runs; run++) {
    const { start, ms } = await manyKeys(adapter, nothing)
    // GC entries are delivered asynchronously: wait a tick before reading them.
    await new Promise((resolve) => setTimeout(resolve, 5))
    const inWindow = collections.filter((c) => c.start >= start && c.start <= start + ms)
    collections.length = 0
    if (run < 2) continue
    profile.ms.push(ms)
    profile.gcMs.push(inWindow.reduce((sum, c) => sum + c.duration, 0))
    profile.collections.push(inWindow.length)
  }
  observer.disconnect()

  let allocated = 0
  const allocations: Record<string, number> = {}
  const allocatedBy: Record<string, number> = {}
  for (let run = 0; run < PROFILED_RUNS; run++) {
    await manyKeys(adapter, {
      before: () =>
        session.post('HeapProfiler.startSampling', {
          samplingInterval: 1024,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        }),
      after: async () => {
        const { profile: heap } = await session.post('HeapProfiler.stopSampling')
        allocated += bytesIn(heap.head as unknown as HeapNode)
        splitAllocations(heap.head as unknown as HeapNode, (frame) => originOf(frame, bundleOrigin), allocatedBy, allocations)
      },
    })
  }
  profile.allocatedMb = allocated / PROFILED_RUNS / 1e6
  for (const name of Object.keys(allocations)) profile.allocations[name] = allocations[name]! / PROFILED_RUNS
  for (const origin of Object.keys(allocatedBy)) profile.allocatedBy[origin] = allocatedBy[origin]! / PROFILED_RUNS
  await session.post('Profiler.enable')
  await session.post('Profiler.setSamplingInterval', { interval: 100 })
  const cpu: Record<string, number> = {}
  const functions: Record<string, number> = {}
  for (let run = 0; run < PROFILED_RUNS; run++) {
    await manyKeys(adapter, {
      before: () => session.post('Profiler.start'),
      after: async () => splitCpu((await session.post('Profiler.stop')).profile as unknown as CpuProfile, bundleOrigin, cpu, functions),
    })
  }
  for (const origin of Object.keys(cpu)) profile.cpu[origin] = cpu[origin]! / PROFILED_RUNS
  for (const name of Object.keys(functions)) profile.functions[name] = functions[name]! / PROFILED_RUNS
  session.disconnect()
  return profile
}

const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1))

function table(profiles: Profile[]): string {
  const origins = ['library', 'react', 'jsdom', 'gc', 'bench', 'node']
  const rows = [
    `| library | ms until all show data | GC ms in it | collections | MB allocated | CPU self ms: ${origins.join(' / ')} |`,
    '|---|---:|---:|---:|---:|---|',
  ]
  for (const p of profiles) {
    const ms = summarize(p.ms)
    rows.push(
      `| ${p.library} | ${fmt(ms.median)} (${fmt(ms.min)}–${fmt(ms.max)}) | ${fmt(summarize(p.gcMs).median)} | ${summarize(p.collections).median} | ${fmt(p.allocatedMb)} | ${origins.map((o) => fmt(p.cpu[o] ?? 0)).join(' / ')} |`,
    )
  }
  return rows.join('\n')
}

const workerFor = option('worker')
if (workerFor) {
  const profile = await worker(workerFor, Number(option('runs') ?? 12))
  process.stdout.write(`PROFILE ${JSON.stringify(profile)}\n`)
} else {
  const libraries = (option('only') ?? 'cachet,floor-batched,swr').split(',')
  for (const library of libraries) if (!loaders[library]) throw new Error(`unknown library ${library}; known: ${Object.keys(loaders).join(', ')}`)
  const launcher = fileURLToPath(new URL('./launch.mjs', import.meta.url))
  const profiles: Profile[] = []
  for (const library of libraries) {
    const child = spawnSync(
      process.execPath,
      ['--expose-gc', ...(args.includes('--no-inlining') ? ['--no-turbo-inlining'] : []), launcher, '--entry', 'profile', '--worker', library, '--runs', option('runs') ?? '12'],
      { encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const line = child.stdout.split('\n').find((text) => text.startsWith('PROFILE '))
    if (!line) throw new Error(`bench:profile: ${library} produced no profile (exit ${child.status})`)
    profiles.push(JSON.parse(line.slice('PROFILE '.length)) as Profile)
    console.error(`${library}: done`)
  }
  console.log(`many-keys, ${COMPONENTS} components on distinct keys; medians of the timed runs, profiles of ${PROFILED_RUNS} more\n`)
  console.log(table(profiles))
  const top = Number(option('top') ?? 0)
  for (const p of top > 0 ? profiles : []) {
    const rows = Object.entries(p.functions).sort((a, b) => b[1] - a[1]).slice(0, top)
    console.log(`\n${p.library}: the library's ${top} functions with the most self time, ms per run (name :line in the bundle)`)
    for (const [name, ms] of rows) console.log(`  ${fmt(ms).padStart(6)}  ${name}`)
  }
  const allocs = Number(option('allocs') ?? 0)
  for (const p of allocs > 0 ? profiles : []) {
    const origins = Object.entries(p.allocatedBy).sort((a, b) => b[1] - a[1])
    console.log(`\n${p.library}: MB allocated per run by ${origins.map(([origin, bytes]) => `${origin} ${fmt(bytes / 1e6)}`).join(', ')}`)
    const rows = Object.entries(p.allocations).sort((a, b) => b[1] - a[1]).slice(0, allocs)
    console.log(`${p.library}: the library's ${allocs} functions that allocate most (self), bytes per component (name :line in the bundle)`)
    for (const [name, bytes] of rows) console.log(`  ${fmt(bytes / COMPONENTS).padStart(6)}  ${name}`)
  }
}
