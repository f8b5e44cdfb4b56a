import type { Query } from '../adapters/types'
import { collectGarbage, hasGc } from '../stats'
import { range, timedOptions, withBench } from './setup'
import type { Scenario } from './types'

const ENTRIES = 10_000

/**
 * Retained heap per cached entry: the heap after filling 10,000 entries,
 * minus the heap before, after full collections both times. The data
 * objects and keys are created inside the measured span, as a fetch would
 * create them, so every library is charged for the same payload.
 */
export const memory: Scenario = {
  id: 'memory',
  title: 'retained heap per cached entry (10,000 entries)',
  runs: 5,
  metrics: [{ id: 'bytesPerEntry', label: 'bytes per entry', unit: 'B', headline: true }],
  run: (adapter) =>
    withBench(adapter, timedOptions, async ({ harness }) => {
      if (!hasGc()) throw new Error('run node with --expose-gc')
      // Timers and microtasks of the mount finish first, so they are not counted.
      await new Promise((r) => setTimeout(r, 20))
      collectGarbage()
      const before = process.memoryUsage().heapUsed
      harness.prefill(
        range(ENTRIES).map((i) => {
          const query: Query = { key: ['product', i], tags: [`product:${i}`] }
          return { query, data: { v: `product ${i}` } }
        }),
      )
      await new Promise((r) => setTimeout(r, 20))
      collectGarbage()
      const after = process.memoryUsage().heapUsed
      const size = harness.size()
      if (size < ENTRIES) throw new Error(`cache holds ${size} entries, expected ${ENTRIES}`)
      return { bytesPerEntry: (after - before) / ENTRIES }
    }),
}
