import { assertDom } from '../app'
import { range, timedOptions, withBench } from './setup'
import type { Scenario } from './types'

const COMPONENTS = 1_000
const UPDATES = 100

/** 1,000 components on one key; the data is set 100 times, each waited for on screen. */
export const updateFanout: Scenario = {
  id: 'update-fanout',
  title: '1,000 components on one key, 100 updates',
  // Five, as the other timed scenarios: with three, one run slowed by a major
  // collection moved cachet's median from 1.0x to 1.55x the floor between full runs.
  runs: 5,
  metrics: [
    { id: 'msPerUpdate', label: 'ms per update', unit: 'ms', headline: true },
    { id: 'renders', label: 'renders per component per update', unit: 'renders', ideal: 1 },
  ],
  run: (adapter) =>
    withBench(adapter, timedOptions, async ({ harness, show, probe, backend, stage }) => {
      const query = { key: ['product', 1] }
      const items = range(COMPONENTS).map((index) => ({ index, query }))
      const first = new Map(items.map(({ index }) => [index, backend.valueOf(query)]))
      show(items)
      await probe.waitUntil(first, 'update-fanout mount')
      await backend.settle()
      probe.resetCounts()

      let total = 0
      let expected = first
      for (let n = 1; n <= UPDATES; n++) {
        const value = `update ${n}`
        expected = new Map(items.map(({ index }) => [index, value]))
        const start = performance.now()
        harness.set(query, { v: value })
        total += (await probe.waitUntil(expected, `update-fanout update ${n}`)) - start
      }
      assertDom(stage.container, expected, COMPONENTS)
      return { msPerUpdate: total / UPDATES, renders: probe.totalRenders() / (COMPONENTS * UPDATES) }
    }),
}
