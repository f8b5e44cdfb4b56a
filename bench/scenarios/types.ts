import type { Adapter } from '../adapters/types'

export interface Metric {
  id: string
  label: string
  unit: string
  /** The best possible value, where the scenario defines one (fetcher calls, renders). */
  ideal?: number
  /** The metric the chart and the ratio columns use for this scenario. */
  headline?: boolean
}

export interface Scenario {
  id: string
  title: string
  /** Runs per library; libraries take turns within each run. */
  runs: number
  metrics: readonly Metric[]
  run(adapter: Adapter): Promise<Record<string, number>>
}
