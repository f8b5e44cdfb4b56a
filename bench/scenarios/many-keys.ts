import { assertDom } from '../app'
import type { Scenario } from './types'
import { range, timedOptions, withBench } from './setup'

const COMPONENTS = 2_000

/** 2,000 components on distinct keys: time to data, renders, and how many commits showed data. */
export const manyKeys: Scenario = {
  id: 'many-keys',
  title: '2,000 components on distinct keys',
  runs: 5,
  metrics: [
    { id: 'ms', label: 'ms until all show data', unit: 'ms', headline: true },
    { id: 'fetches', label: 'fetcher calls', unit: 'calls', ideal: COMPONENTS },
    { id: 'renders', label: 'renders per component', unit: 'renders', ideal: 2 },
    { id: 'commits', label: 'commits that showed data', unit: 'commits', ideal: 2 },
  ],
  run: (adapter) =>
    withBench(adapter, timedOptions, async ({ show, probe, backend, stage }) => {
      const items = range(COMPONENTS).map((index) => ({ index, query: { key: ['product', index] } }))
      const expected = new Map(items.map(({ index, query }) => [index, backend.valueOf(query)]))
      const start = performance.now()
      show(items)
      const end = await probe.waitUntil(expected, 'many-keys')
      // Counts include anything that lands after the last data shows.
      await backend.settle()
      assertDom(stage.container, expected, COMPONENTS)
      return {
        ms: end - start,
        fetches: backend.calls,
        renders: probe.totalRenders() / COMPONENTS,
        commits: probe.commits,
      }
    }),
}
