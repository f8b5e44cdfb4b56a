// Shapes shared by the demo server and the page. Plain JSON, no classes, so
// the page can import them without pulling in any Node code.

export const arms = ['arm-a', 'arm-b'] as const
export type Arm = (typeof arms)[number]

export const modelVersions = ['r1', 'r2', 'r3'] as const
export type ModelVersion = (typeof modelVersions)[number]

/** The users the page lets you view as; `guest` is the signed-out visitor. */
export const users = ['ada', 'grace', 'linus', 'guest'] as const

/** The name of the AI model whose answers the recommendation queries cache. */
export const modelName = 'recommender'

export interface Product {
  id: number
  name: string
  /** Price in cents, so edits never meet floating point. */
  priceCents: number
  inStock: boolean
}

/** What `GET /api/recommendations` answers. */
export interface Recommendations {
  user: string
  segment: Arm
  /** The model version that produced this ranking. */
  modelVersion: string
  /** Same value as the ETag header, so the page can show it. */
  etag: string
  products: Product[]
}

/** What `GET /api/stats` answers: the calls the server served. */
export interface ServerStats {
  /** Every request under /api/, by endpoint ("GET /api/recommendations"). */
  byEndpoint: Record<string, number>
  /** `/api/recommendations` calls by segment. */
  recommendationsBySegment: Record<string, number>
  /** Recommendations answered 304 Not Modified. */
  notModified: number
  /** Times the simulated model ran (every recommendations call that was not a 400). */
  modelRuns: number
  /** Invalidation messages published through the hub. */
  published: number
}

/** Injected into the HTML so the page's cache starts on the server's model version. */
export interface Bootstrap {
  modelVersion: string
  store: 'memory' | 'redis'
}
