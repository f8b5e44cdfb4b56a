import type { Arm } from '../types'
import { formatPrice } from './format'
import { useRecommendations } from './use-recommendations'

/** The first recommendation, highlighted: a second reader of the same query. */
export function TopPick({ arm, user }: { arm: Arm; user: string }) {
  const { data } = useRecommendations(arm, user)
  const top = data?.products[0]
  if (!top) return null
  return (
    <div className="pick" data-testid={`top-pick-${arm}`}>
      <span className="muted">Top pick for {user}</span>
      <div>
        <strong>{top.name}</strong> <span className="price">{formatPrice(top.priceCents)}</span>
      </div>
    </div>
  )
}
