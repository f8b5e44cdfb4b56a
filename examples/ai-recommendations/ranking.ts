import { createHash } from 'node:crypto'
import type { Catalog } from './catalog'
import type { Arm, Product, Recommendations } from './types'

/** How many products one recommendation list shows. */
export const listLength = 4

/**
 * The "model": a deterministic ranking that depends on the arm (A ranks by
 * popularity, B by novelty), the user and the model version, so switching the
 * version visibly reshuffles the lists. Out-of-stock products are never
 * recommended.
 */
export function rank(catalog: Catalog, arm: Arm, user: string, modelVersion: string): Product[] {
  const scored = catalog
    .rankable()
    .filter((item) => item.inStock)
    .map((item) => {
      const base = arm === 'arm-a' ? item.popularity : item.novelty
      // Per-user taste, different for every model version: up to ±0.25.
      const taste = unitHash(`${modelVersion}|${arm}|${user}|${item.id}`) * 0.5 - 0.25
      return { item, score: base + taste }
    })
  scored.sort((a, b) => b.score - a.score || a.item.id - b.item.id)
  return scored.slice(0, listLength).map(({ item: { id, name, priceCents, inStock } }) => ({
    id,
    name,
    priceCents,
    inStock,
  }))
}

/**
 * A strong ETag over everything the answer shows: the same products with the
 * same prices from the same model version give the same tag, whatever else
 * changed in the catalog. That is what lets a revalidation answer 304.
 */
export function etagOf(modelVersion: string, products: readonly Product[]): string {
  const digest = createHash('sha256')
    .update(JSON.stringify([modelVersion, products]))
    .digest('base64url')
  return `"${digest.slice(0, 20)}"`
}

export function recommend(catalog: Catalog, arm: Arm, user: string, modelVersion: string): Recommendations {
  const products = rank(catalog, arm, user, modelVersion)
  return { user, segment: arm, modelVersion, etag: etagOf(modelVersion, products), products }
}

function unitHash(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 0x1_0000_0000
}
