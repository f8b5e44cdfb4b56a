import type { Product } from './types'

interface CatalogItem extends Product {
  /** How broadly liked the product is: arm A ranks by it. */
  popularity: number
  /** How new the product is: arm B ranks by it. */
  novelty: number
}

const initialItems: readonly CatalogItem[] = [
  { id: 1, name: 'Trail running shoes', priceCents: 12900, inStock: true, popularity: 0.92, novelty: 0.31 },
  { id: 2, name: 'Noise-cancelling headphones', priceCents: 24900, inStock: true, popularity: 0.88, novelty: 0.44 },
  { id: 3, name: 'Cast-iron skillet', priceCents: 3900, inStock: true, popularity: 0.81, novelty: 0.12 },
  { id: 4, name: 'Pour-over coffee kit', priceCents: 5400, inStock: true, popularity: 0.64, novelty: 0.71 },
  { id: 5, name: 'Mechanical keyboard', priceCents: 13900, inStock: true, popularity: 0.7, novelty: 0.83 },
  { id: 6, name: 'Merino wool hoodie', priceCents: 9900, inStock: true, popularity: 0.58, novelty: 0.62 },
  { id: 7, name: 'Indoor herb garden', priceCents: 7900, inStock: true, popularity: 0.41, novelty: 0.94 },
  { id: 8, name: 'E-ink reader', priceCents: 15900, inStock: true, popularity: 0.76, novelty: 0.57 },
  { id: 9, name: 'Folding bike lock', priceCents: 6900, inStock: true, popularity: 0.37, novelty: 0.49 },
  { id: 10, name: 'Ceramic dinner set', priceCents: 8900, inStock: true, popularity: 0.52, novelty: 0.22 },
  { id: 11, name: 'Smart desk lamp', priceCents: 6400, inStock: true, popularity: 0.46, novelty: 0.88 },
  { id: 12, name: 'Insulated water bottle', priceCents: 2900, inStock: true, popularity: 0.85, novelty: 0.18 },
]

/** The highest price the demo accepts, in cents: a typo guard, not a business rule. */
export const maxPriceCents = 10_000_000

/** The demo's product database: in memory, mutable, one per server. */
export class Catalog {
  private items = new Map<number, CatalogItem>()

  constructor() {
    this.reset()
  }

  reset(): void {
    this.items = new Map(initialItems.map((item) => [item.id, { ...item }]))
  }

  has(id: number): boolean {
    return this.items.has(id)
  }

  /** The public view of every product, in id order. */
  products(): Product[] {
    return [...this.items.values()].map(publicView)
  }

  /** Items with the attributes the ranking needs; callers must not mutate them. */
  rankable(): readonly CatalogItem[] {
    return [...this.items.values()]
  }

  /** Returns whether anything changed. */
  setStock(id: number, inStock: boolean): boolean {
    const item = this.require(id)
    if (item.inStock === inStock) return false
    item.inStock = inStock
    return true
  }

  /** Returns whether anything changed. */
  setPrice(id: number, priceCents: number): boolean {
    const item = this.require(id)
    if (item.priceCents === priceCents) return false
    item.priceCents = priceCents
    return true
  }

  private require(id: number): CatalogItem {
    const item = this.items.get(id)
    if (!item) throw new Error(`no product ${id}`)
    return item
  }
}

function publicView({ id, name, priceCents, inStock }: CatalogItem): Product {
  return { id, name, priceCents, inStock }
}
