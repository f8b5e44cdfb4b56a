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
 *
 * Each entry carries what the target counts: tags, a segment (an experiment
 * arm), a model with its current version, and an ETag. The peers keep what
 * their APIs can: the segment goes into the key; TanStack's setQueryData and
 * SWR's mutate have no place for tags, model or ETag outside the data.
 */
export const memory: Scenario = {
  id: 'memory',
  title: 'retained heap per cached entry (10,000 entries)',
  runs: 9,
  metrics: [{ id: 'bytesPerEntry', label: 'bytes per entry', unit: 'B', headline: true }],
  run: (adapter) =>
    withBench(adapter, { ...timedOptions, models: { recommender: 'r3' } }, async ({ harness }) => {
      if (!hasGc()) throw new Error('run node with --expose-gc')
      // Timers and microtasks of the mount finish first, so they are not counted.
      await new Promise((r) => setTimeout(r, 20))
      collectGarbage()
      const before = process.memoryUsage().heapUsed
      harness.prefill(
        range(ENTRIES).map((i) => {
          const query: Query = { key: ['product', i], segment: 'arm-b', tags: [`product:${i}`], model: 'recommender' }
          return { query, data: { v: `product ${i}` }, etag: `"p${i}"` }
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
