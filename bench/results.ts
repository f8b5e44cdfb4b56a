import type { Summary } from './stats'

/** What `npm run bench` writes to bench/results.json. */
export interface Results {
  date: string
  machine: { cpu: string; cores: number; memoryGb: number; node: string; platform: string }
  react: { version: string; build: 'production' | 'development' }
  libraries: Record<string, string>
  scenarios: ScenarioResult[]
}

export interface ScenarioResult {
  id: string
  title: string
  metrics: { id: string; label: string; unit: string; ideal?: number; headline?: boolean }[]
  /** library → metric id → summary over runs; or the error that stopped it. */
  rows: Record<string, { metrics: Record<string, Summary> } | { error: string }>
  /** What the headline's ratios are taken against, and its value. */
  reference?: { name: string; value: number } | undefined
}

/** The headline median of a library in a scenario, if it ran. */
export function headline(result: ScenarioResult, library: string): number | undefined {
  const metric = result.metrics.find((m) => m.headline)
  const row = result.rows[library]
  if (!metric || !row || 'error' in row) return undefined
  return row.metrics[metric.id]?.median
}
