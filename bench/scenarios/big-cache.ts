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

/** Prefills the whole cache, mounts the first 200, and waits until the setup's own fetches are over. */
export async function mountBigCache(bench: Bench): Promise<ItemSpec[]> {
  const { harness, backend, probe, stage, show } = bench
  harness.prefill(range(ENTRIES).map((i) => ({ query: entryQuery(i), data: backend.payloadOf(entryQuery(i)) })))
  const items = range(MOUNTED).map((index) => ({ index, query: entryQuery(index) }))
  const expected = new Map(items.map(({ index, query }) => [index, backend.valueOf(query)]))
  show(items)
  await probe.waitUntil(expected, 'mount from a full cache')
  assertDom(stage.container, expected, MOUNTED)
  // SWR revalidates on mount whatever it holds; let that finish before counting.
  await backend.settle()
  backend.resetCounters()
  probe.resetCounts()
  return items
}
