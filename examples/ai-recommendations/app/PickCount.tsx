import type { Arm } from '../types'
import { useRecommendations } from './use-recommendations'

/** A third reader of the same query, in the column's header. */
export function PickCount({ arm, user }: { arm: Arm; user: string }) {
  const { data, isFetching } = useRecommendations(arm, user)
  return (
    <span className="badge" data-testid={`pick-count-${arm}`}>
      {data ? `${data.products.length} picks for ${user}` : '…'}
      {isFetching ? ' · refreshing' : ''}
    </span>
  )
}
