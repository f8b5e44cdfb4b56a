import { assertDom } from '../app'
import { MOUNTED, assertHitWhenRemounted, entriesForProduct, entryQuery, mountBigCache } from './big-cache'
import { range, timedOptions, withBench } from './setup'
import type { Scenario } from './types'

/** Ten products change; each is in one mounted entry (and three unmounted ones). */
const PRODUCTS_HIT = range(10).map((k) => k * 20)

export const targetedInvalidate: Scenario = {
  id: 'targeted-invalidate',
  title: '10,000 cached, 200 mounted: invalidate what 10 mounted entries depend on',
  runs: 5,
  metrics: [
    { id: 'ms', label: 'ms until refetched data renders', unit: 'ms', headline: true },
    { id: 'fetches', label: 'fetcher calls', unit: 'calls', ideal: PRODUCTS_HIT.length },
    { id: 'othersRendered', label: 'renders of components not hit', unit: 'renders', ideal: 0 },
  ],
  run: (adapter) =>
    withBench(adapter, timedOptions, async (bench) => {
      const { harness, backend, probe, stage } = bench
      await mountBigCache(bench)
      const hitEntries = PRODUCTS_HIT.flatMap(entriesForProduct)
      for (const i of hitEntries) backend.bump(entryQuery(i))
      const hitMounted = new Set(hitEntries.filter((i) => i < MOUNTED))
      const expected = new Map(range(MOUNTED).map((i) => [i, backend.valueOf(entryQuery(i))]))
      const waitFor = new Map([...hitMounted].map((i) => [i, expected.get(i)!]))

      const start = performance.now()
      void harness.invalidate({
        target: { tags: PRODUCTS_HIT.map((p) => `product:${p}`) },
        // Which recommendation lists hold a product is not in their keys: with
        // keys only, every list must be revalidated.
        byKey: (key) => key[0] === 'recs',
      })
      const end = await probe.waitUntil(waitFor, 'targeted-invalidate')
      await backend.settle()
      assertDom(stage.container, expected, MOUNTED)
      const others = range(MOUNTED).filter((i) => !hitMounted.has(i))
      const result = { ms: end - start, fetches: backend.calls, othersRendered: probe.totalRenders(others) }
      await assertHitWhenRemounted(bench, hitEntries.filter((i) => i >= MOUNTED), 'targeted-invalidate')
      return result
    }),
}
