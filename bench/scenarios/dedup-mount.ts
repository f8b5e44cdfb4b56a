import { assertDom } from '../app'
import type { Scenario } from './types'
import { range, timedOptions, withBench } from './setup'

const COMPONENTS = 1_000

/** 1,000 components mount at once on one key: one fetch, two renders each. */
export const dedupMount: Scenario = {
  id: 'dedup-mount',
  title: '1,000 components mount on one key',
  runs: 7,
  metrics: [
    { id: 'ms', label: 'ms until all show data', unit: 'ms', headline: true },
    { id: 'fetches', label: 'fetcher calls', unit: 'calls', ideal: 1 },
    { id: 'renders', label: 'renders per component', unit: 'renders', ideal: 2 },
  ],
  run: (adapter) =>
    withBench(adapter, timedOptions, async ({ show, probe, backend, stage }) => {
      const query = { key: ['product', 1] }
      const items = range(COMPONENTS).map((index) => ({ index, query }))
      const expected = new Map(items.map(({ index }) => [index, backend.valueOf(query)]))
      const start = performance.now()
      show(items)
      const end = await probe.waitUntil(expected, 'dedup-mount')
      // Counts include what lands after the data shows (the floor's 999 other responses).
      await backend.settle()
      assertDom(stage.container, expected, COMPONENTS)
      return { ms: end - start, fetches: backend.calls, renders: probe.totalRenders() / COMPONENTS }
    }),
}
