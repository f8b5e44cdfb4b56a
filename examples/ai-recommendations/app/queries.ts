import { fetchJson, notModified, type FetchContext, type QueryOptions } from '../../../src/index'
import { modelName, type Product, type Recommendations } from '../types'
import { countNotModified } from './revalidation-counter'

/** The key of one user's recommendations; the arm is the entry's segment. */
export function recommendationsKey(user: string): readonly unknown[] {
  return ['recommendations', { user }]
}

/**
 * One user's recommendations in the arm the provider gives as segment. The
 * entry depends on each product it shows (`product:<id>` tags, taken from the
 * data it last held) and on the recommender model.
 */
export function recommendationsQuery(user: string, shown: Recommendations | undefined): QueryOptions<Recommendations> {
  return {
    key: recommendationsKey(user),
    model: modelName,
    tags: (shown?.products ?? []).map((product) => `product:${product.id}`),
    fetcher: (ctx) => {
      const params = new URLSearchParams({ user, segment: ctx.segment ?? '' })
      return counted(fetchJson<Recommendations>(`/api/recommendations?${params}`), ctx)
    },
  }
}

export const catalogQuery: QueryOptions<{ products: Product[] }> = {
  key: ['catalog'],
  fetcher: fetchJson<{ products: Product[] }>('/api/catalog'),
}

/** Runs a fetcher and counts its 304s for the cache panel (stats() has no such counter). */
async function counted<T>(fetcher: ReturnType<typeof fetchJson<T>>, ctx: FetchContext) {
  const result = await fetcher(ctx)
  if (result === notModified) countNotModified()
  return result
}

/** POSTs JSON to the demo's API; rejects with the server's `{ error }` message. */
export async function postJson<T>(url: string, body: unknown = {}): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  })
  const payload = (await response.json().catch(() => ({}))) as { error?: string }
  if (!response.ok) throw new Error(payload.error ?? `${url} answered ${response.status}`)
  return payload as T
}
