import type { Arm } from '../types'
import { formatPrice } from './format'
import { useRecommendations } from './use-recommendations'

/** The ranked list. Reads only `data` and `status`, so a 304 never re-renders it. */
export function RecommendationList({ arm, user }: { arm: Arm; user: string }) {
  const { data, status, error } = useRecommendations(arm, user)
  if (status === 'error' && !data) return <p className="out">Could not load: {error?.message}</p>
  if (!data) return <p className="muted" data-testid={`loading-${arm}-${user}`}>Asking the model…</p>
  return (
    <div data-testid={`list-${arm}-${user}`} data-model-version={data.modelVersion}>
      <ol>
        {data.products.map((product) => (
          <li key={product.id} data-product-id={product.id}>
            {product.name} <span className="price">{formatPrice(product.priceCents)}</span>
          </li>
        ))}
      </ol>
      <p className="muted">
        ranked by recommender {data.modelVersion} · ETag {data.etag.slice(0, 9)}…&quot;
      </p>
    </div>
  )
}
