import { matchesTarget } from '../adapters/match'
import type { Invalidation, Query } from '../adapters/types'
import { idOf } from '../backend'

/**
 * The scripted session of scenario 8: a shopper on an AI-recommendations
 * page. Product cards, recommendation lists per slot (cached answers of the
 * 'recommender' model, scoped by experiment arm), and a trending list. Each
 * list draws from a known pool of products, which are its tags.
 */
export const ARM_A = 'exp-7:a'
export const ARM_B = 'exp-7:b'
export const MODEL = 'recommender'

const POOLS: Record<string, number[]> = {
  home: [1, 2, 3, 4, 5, 6],
  cart: [4, 5, 6, 7, 8, 9],
  'similar-3': [2, 3, 4, 10, 11, 12],
  'similar-4': [3, 4, 5, 6, 13, 14],
  trending: [1, 3, 5, 7, 9, 11],
}
const tagsOf = (pool: number[]) => pool.map((p) => `product:${p}`)

export const product = (p: number): Query => ({ key: ['product', p], tags: [`product:${p}`] })
export const recs = (slot: string, segment: string): Query => ({
  key: ['recs', slot],
  segment,
  tags: tagsOf(POOLS[slot]!),
  model: MODEL,
})
export const trending: Query = { key: ['trending'], tags: tagsOf(POOLS.trending!) }

/** What the server knows; the backend renders answers from it. */
export class World {
  readonly price = new Map<number, number>()
  readonly outOfStock = new Set<number>()
  readonly armVersion = new Map<string, number>()
  model = 'r1'

  answer(query: Query): string {
    const [kind, slot] = query.key as [string, string | number]
    const priced = (p: number) => `${p}:$${this.price.get(p) ?? 10}`
    if (kind === 'product') {
      const p = slot as number
      return `product ${priced(p)} ${this.outOfStock.has(p) ? 'sold out' : 'in stock'}`
    }
    const name = kind === 'trending' ? 'trending' : (slot as string)
    const inStock = POOLS[name]!.filter((p) => !this.outOfStock.has(p))
    // A model answer: which four in-stock products, depending on arm and model version.
    const seed = (this.armVersion.get(query.segment ?? '') ?? 0) + (kind === 'recs' ? Number(this.model.slice(1)) : 0)
    const picked = inStock.map((_, i) => inStock[(i + seed) % inStock.length]!).slice(0, 4)
    const by = kind === 'recs' ? ` by ${this.model}` : ''
    return `${name}[${query.segment ?? '-'}] ${picked.map(priced).join(' ')}${by}`
  }
}

export type Step =
  | { kind: 'mount'; queries: Query[] }
  | { kind: 'unmount'; queries: Query[] }
  | { kind: 'price'; product: number }
  | { kind: 'stock-out'; product: number }
  | { kind: 'arm-bust'; segment: string }
  | { kind: 'model'; version: string; policy: 'immediate' | 'lazy' }
  | { kind: 'focus' }

const home = [1, 2, 3, 4, 5, 6].map(product).concat([recs('home', ARM_A), recs('cart', ARM_A), trending])

export const SCRIPT: readonly Step[] = [
  { kind: 'mount', queries: home },
  { kind: 'focus' },
  { kind: 'mount', queries: [product(3), recs('similar-3', ARM_A)] }, // product page 3 over home
  { kind: 'price', product: 2 },
  { kind: 'unmount', queries: [product(3), recs('similar-3', ARM_A)] },
  { kind: 'stock-out', product: 5 },
  { kind: 'focus' },
  { kind: 'mount', queries: [product(4), recs('similar-4', ARM_A)] },
  { kind: 'model', version: 'r2', policy: 'lazy' },
  // The shopper is moved to arm b: the arm-a lists go, the arm-b lists come.
  { kind: 'unmount', queries: [recs('home', ARM_A), recs('cart', ARM_A), recs('similar-4', ARM_A)] },
  { kind: 'mount', queries: [recs('home', ARM_B), recs('cart', ARM_B), recs('similar-4', ARM_B)] },
  { kind: 'focus' },
  { kind: 'price', product: 1 },
  { kind: 'arm-bust', segment: ARM_B },
  { kind: 'model', version: 'r3', policy: 'immediate' },
  { kind: 'unmount', queries: [product(4), recs('similar-4', ARM_B)] },
  { kind: 'mount', queries: [product(3), recs('similar-3', ARM_B)] },
  { kind: 'focus' },
]

/** What the step tells the cache, in both forms (see Invalidation), or nothing. */
export function invalidationOf(step: Step): Invalidation | undefined {
  switch (step.kind) {
    case 'price':
    case 'stock-out': {
      const p = step.product
      return {
        target: { tags: [`product:${p}`] },
        // Lists do not name their products in their keys: every list is a suspect.
        byKey: (key) => (key[0] === 'product' && key[1] === p) || key[0] === 'recs' || key[0] === 'trending',
        mode: step.kind === 'stock-out' ? 'remove' : 'stale',
      }
    }
    case 'arm-bust':
      return {
        target: { segment: step.segment },
        byKey: (_key, segment) => segment === step.segment,
        mode: 'remove',
      }
    case 'model':
      if (step.policy === 'lazy') return undefined
      return { target: { model: MODEL }, byKey: (key) => key[0] === 'recs' }
    default:
      return undefined
  }
}

export { idOf } from '../backend'

export function hits(invalidation: Invalidation, query: Query): boolean {
  return matchesTarget(invalidation.target, {
    key: query.key,
    segment: query.segment,
    tags: query.tags ?? [],
    model: query.model,
  })
}

/**
 * The fewest backend calls the script needs: an entry is fetched when first
 * mounted, when mounted after it was invalidated, and when invalidated while
 * mounted; nothing else (everything stays fresh for the session's minute).
 */
export function minimumCalls(script: readonly Step[]): number {
  const known = new Map<string, Query>()
  const valid = new Set<string>()
  const mounted = new Map<string, number>()
  let calls = 0
  for (const step of script) {
    if (step.kind === 'mount') {
      for (const q of step.queries) {
        const id = idOf(q)
        known.set(id, q)
        mounted.set(id, (mounted.get(id) ?? 0) + 1)
        if (!valid.has(id)) {
          calls++
          valid.add(id)
        }
      }
    } else if (step.kind === 'unmount') {
      for (const q of step.queries) mounted.set(idOf(q), mounted.get(idOf(q))! - 1)
    } else {
      const invalidation = invalidationOf(step)
      if (!invalidation) continue
      for (const [id, q] of known) {
        if (!valid.has(id) || !hits(invalidation, q)) continue
        if ((mounted.get(id) ?? 0) > 0) calls++
        else valid.delete(id)
      }
    }
  }
  return calls
}
