/**
 * `npm run bench` — runs every scenario for every library, interleaved
 * (A B C D, A B C D, …), prints a markdown table, and writes
 * bench/results.json and bench/results.svg.
 *
 *   --only cachet,swr      libraries to run (default: all four)
 *   --scenarios a,b        scenario ids to run (default: all)
 *   --runs n               runs per scenario instead of each scenario's default
 *   --dev                  React's development build (default: production)
 *   --no-write             print only
 *   --verbose              print each failure in full
 */
import { writeFileSync } from 'node:fs'
import { cpus, platform, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const args = process.argv.slice(2)
const flag = (name: string) => args.includes(`--${name}`)
const option = (name: string) => {
  const i = args.indexOf(`--${name}`)
  return i >= 0 ? args[i + 1] : undefined
}
const dev = flag('dev')
// React picks its build when first loaded, so this must precede every import of it.
process.env.NODE_ENV = dev ? 'development' : 'production'

const { installDom } = await import('./dom')
installDom()

const here = dirname(fileURLToPath(import.meta.url))
const { summarize } = await import('./stats')
const { renderTable } = await import('./table')
const { renderChart } = await import('./chart')
const { scenarios } = await import('./scenarios/index')
const { measureBundles } = await import('./bundle')
type Adapter = import('./adapters/types').Adapter
type Results = import('./results').Results
type ScenarioResult = import('./results').ScenarioResult

const LIBRARIES = ['cachet', 'tanstack', 'swr', 'floor'] as const
const only = option('only')?.split(',') ?? [...LIBRARIES]
const wanted = option('scenarios')?.split(',')
const runsOverride = option('runs') ? Number(option('runs')) : undefined

/** Loads each adapter on its own: one that fails to load becomes an error row, not a crash. */
async function loadAdapters(): Promise<Map<string, Adapter | Error>> {
  const loaders: Record<string, () => Promise<Adapter>> = {
    cachet: async () => (await import('./adapters/cachet')).cachetAdapter,
    tanstack: async () => (await import('./adapters/tanstack')).tanstackAdapter,
    swr: async () => (await import('./adapters/swr')).swrAdapter,
    floor: async () => (await import('./adapters/floor')).floorAdapter,
  }
  const adapters = new Map<string, Adapter | Error>()
  for (const name of only) {
    const load = loaders[name]
    if (!load) throw new Error(`unknown library ${name}; known: ${LIBRARIES.join(', ')}`)
    try {
      adapters.set(name, await load())
    } catch (error) {
      adapters.set(name, error instanceof Error ? error : new Error(String(error)))
    }
  }
  return adapters
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0]!

async function main() {
  const adapters = await loadAdapters()
  const results: ScenarioResult[] = []
  const chosen = scenarios.filter((s) => !wanted || wanted.includes(s.id))

  for (const scenario of chosen) {
    const runs = runsOverride ?? scenario.runs
    const values = new Map<string, Record<string, number[]>>()
    const errors = new Map<string, string>()
    for (const [name, adapter] of adapters) if (adapter instanceof Error) errors.set(name, adapter.message)
    const started = performance.now()
    const order = [...adapters]
    for (let run = 0; run < runs; run++) {
      // Each round starts with the next library (A B C, B C A, C A B …): no
      // library always runs first, warming React and the process for the rest.
      for (const [name, adapter] of [...order.slice(run % order.length), ...order.slice(0, run % order.length)]) {
        if (adapter instanceof Error || errors.has(name)) continue
        try {
          const measured = await scenario.run(adapter)
          const bucket = values.get(name) ?? {}
          for (const [metric, value] of Object.entries(measured)) (bucket[metric] ??= []).push(value)
          values.set(name, bucket)
        } catch (error) {
          errors.set(name, message(error))
          if (flag('verbose')) console.error(`${scenario.id} / ${name}:`, error)
        }
      }
    }
    const rows: ScenarioResult['rows'] = {}
    for (const name of adapters.keys()) {
      const error = errors.get(name)
      if (error !== undefined) rows[name] = { error }
      else rows[name] = { metrics: Object.fromEntries(Object.entries(values.get(name) ?? {}).map(([k, v]) => [k, summarize(v)])) }
    }
    const result: ScenarioResult = { id: scenario.id, title: scenario.title, metrics: [...scenario.metrics], rows }
    result.reference = referenceOf(result)
    results.push(result)
    console.error(`${scenario.id}: ${runs} runs in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  }

  if (!wanted || wanted.includes('bundle')) {
    const bundle = await measureBundles(only.filter((n) => n !== 'floor'))
    results.push(bundle)
    console.error('bundle: built')
  }
  if (!wanted || wanted.includes('backend-calls')) {
    // Scenario 8 is listed in scenarios/index like the others; nothing extra here.
  }

  const { createRequire } = await import('node:module')
  const require = createRequire(import.meta.url)
  const versionOf = (pkg: string) => (require(`${pkg}/package.json`) as { version: string }).version
  const report: Results = {
    date: new Date().toISOString(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown',
      cores: cpus().length,
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      platform: platform(),
    },
    react: { version: versionOf('react'), build: dev ? 'development' : 'production' },
    libraries: {
      cachet: (require('../package.json') as { version: string }).version,
      tanstack: versionOf('@tanstack/react-query'),
      swr: versionOf('swr'),
    },
    scenarios: results,
  }
  const names = [...adapters.keys()]
  const table = renderTable(report, names)
  const m = report.machine
  console.log(`\n${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, React ${report.react.version} (${report.react.build})\n`)
  console.log(table)
  if (!flag('no-write')) {
    writeFileSync(join(here, 'results.json'), JSON.stringify(report, null, 2) + '\n')
    writeFileSync(join(here, 'results.svg'), renderChart(report, names) + '\n')
    console.error('wrote bench/results.json and bench/results.svg')
  }
}

/** The headline's reference: the scenario's ideal if it has one, else the floor's median. */
function referenceOf(result: ScenarioResult): ScenarioResult['reference'] {
  const metric = result.metrics.find((m) => m.headline)
  if (!metric) return undefined
  if (metric.ideal !== undefined) return { name: 'minimum', value: metric.ideal }
  const floor = result.rows.floor
  if (floor && !('error' in floor)) {
    const value = floor.metrics[metric.id]?.median
    if (value !== undefined && value > 0) return { name: 'floor', value }
  }
  return undefined
}

await main()
// Libraries leave gc and deduping timers behind; the numbers are written, so stop here.
process.exit(0)
