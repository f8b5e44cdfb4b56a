import { assertDom } from '../app'
import { ENTRIES, MOUNTED, assertHitWhenRemounted, entryQuery, mountBigCache } from './big-cache'
import { range, timedOptions, withBench } from './setup'
import type { Scenario } from './types'

/** Group 'a' (5,000 entries, 100 of them mounted) changes: invalidate it by key prefix. */
export const broadInvalidate: Scenario = {
  id: 'broad-invalidate',
  title: '10,000 cached, 200 mounted: invalidate 5,000 of which 100 are mounted',
  runs: 5,
  metrics: [
    { id: 'callMs', label: 'ms of the invalidate call', unit: 'ms' },
    { id: 'ms', label: 'ms until settled', unit: 'ms', headline: true },
    { id: 'fetches', label: 'fetcher calls', unit: 'calls', ideal: MOUNTED / 2 },
  ],
  run: (adapter) =>
    withBench(adapter, timedOptions, async (bench) => {
      const { harness, backend, probe, stage } = bench
      await mountBigCache(bench)
      const group = range(ENTRIES).filter((i) => i % 2 === 0)
      for (const i of group) backend.bump(entryQuery(i))
      const expected = new Map(range(MOUNTED).map((i) => [i, backend.valueOf(entryQuery(i))]))
      const waitFor = new Map([...expected].filter(([i]) => i % 2 === 0))

      const start = performance.now()
      const settled = harness.invalidate({
        target: { key: ['recs', 'a'] },
        byKey: (key) => key[0] === 'recs' && key[1] === 'a',
      })
      const callMs = performance.now() - start
      const shown = await probe.waitUntil(waitFor, 'broad-invalidate')
      await settled
      const end = Math.max(shown, performance.now())
      await backend.settle()
      assertDom(stage.container, expected, MOUNTED)
      const result = { callMs, ms: end - start, fetches: backend.calls }
      await assertHitWhenRemounted(bench, group.filter((i) => i >= MOUNTED).filter((_, k) => k % 490 === 0), 'broad-invalidate')
      return result
    }),
}
