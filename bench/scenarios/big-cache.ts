import type { Query } from '../adapters/types'
import { assertDom, type ItemSpec } from '../app'
import type { Bench } from './setup'
import { range } from './setup'

/**
 * The cache of scenarios 3 and 4: 10,000 recommendation entries, of which
 * the first 200 are mounted. Entry i lives under group 'a' (even i) or 'b'
 * (odd i), and depends on product i mod 2,500, a tag that is not in its key,
 * so four entries share each product.
 */
export const ENTRIES = 10_000
export const MOUNTED = 200
const PRODUCTS = 2_500

export function entryQuery(i: number): Query {
  return { key: ['recs', i % 2 === 0 ? 'a' : 'b', i], tags: [`product:${i % PRODUCTS}`] }
}

export function entriesForProduct(product: number): number[] {
  return range(ENTRIES / PRODUCTS).map((k) => product + k * PRODUCTS)
}

/** Entries mounted together while the cache fills (see mountBigCache). */
const FILL_CHUNK = 500

/**
 * Fills the cache the way an app does: every entry was shown by a component
 * and fetched, and all but the first 200 have been unmounted since. So each
 * library holds what its own hooks leave behind (TanStack its `meta`, SWR the
 * key its filter matches on), not what a bare write would. Then mounts the
 * first 200 and waits until the setup's own fetches are over.
 */
export async function mountBigCache(bench: Bench): Promise<ItemSpec[]> {
  const { backend, probe, stage, show } = bench
  for (let from = MOUNTED; from < ENTRIES; from += FILL_CHUNK) {
    const chunk = range(Math.min(FILL_CHUNK, ENTRIES - from)).map((k) => ({ index: from + k, query: entryQuery(from + k) }))
    show(chunk)
    await probe.waitUntil(new Map(chunk.map(({ index, query }) => [index, backend.valueOf(query)])), 'fill the cache')
  }
  const items = range(MOUNTED).map((index) => ({ index, query: entryQuery(index) }))
  const expected = new Map(items.map(({ index, query }) => [index, backend.valueOf(query)]))
  show(items)
  await probe.waitUntil(expected, 'mount from a full cache')
  assertDom(stage.container, expected, MOUNTED)
  await backend.settle()
  backend.resetCounters()
  probe.resetCounts()
  return items
}

/**
 * After an invalidation: unmounted entries it hit must not be served as
 * fresh. Mounting some of them again must show the backend's new values,
 * in every library (checked outside the timed span).
 */
export async function assertHitWhenRemounted(bench: Bench, indices: readonly number[], what: string): Promise<void> {
  const { backend, probe, show } = bench
  const items = [...range(MOUNTED), ...indices].map((index) => ({ index, query: entryQuery(index) }))
  show(items)
  await probe.waitUntil(new Map(indices.map((i) => [i, backend.valueOf(entryQuery(i))])), `${what}: unmounted entries it hit, mounted again`, 5_000)
}
