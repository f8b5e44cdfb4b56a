import { useInvalidate, useMutation } from '../../../src/index'
import type { Arm } from '../types'
import { PickCount } from './PickCount'
import { postJson } from './queries'
import { RecommendationList } from './RecommendationList'
import { TopPick } from './TopPick'

const descriptions: Record<Arm, string> = {
  'arm-a': 'Arm A · ranks by popularity',
  'arm-b': 'Arm B · ranks by novelty',
}

/**
 * One experiment arm. Rendered inside `<CacheProvider segment={arm}>`, so
 * every query below is scoped to the arm: the same key in the other column is
 * another entry.
 */
export function ArmColumn({ arm, user }: { arm: Arm; user: string }) {
  const invalidate = useInvalidate()
  // No `invalidates`: the server publishes the arm's invalidation through the
  // hub, which reaches this tab like every other one.
  const bust = useMutation({ mutationFn: () => postJson(`/api/arms/${arm}/bust`) })
  return (
    <section data-testid={`column-${arm}`}>
      <h2>
        {descriptions[arm]} <PickCount arm={arm} user={user} />
      </h2>
      <div className="row">
        {/* Local: marks this tab's arm entries stale; other tabs follow over BroadcastChannel. */}
        <button data-testid={`revalidate-${arm}`} onClick={() => void invalidate({ segment: arm })}>
          Revalidate this arm
        </button>
        {/* Server-side: the hub sends the arm's invalidation to every client granted the arm. */}
        <button data-testid={`bust-${arm}`} disabled={bust.status === 'pending'} onClick={() => bust.mutate(undefined)}>
          Bust arm on the server
        </button>
      </div>
      {/* Everything below shows data only: the e2e test watches it for DOM changes. */}
      <div data-testid={`lists-${arm}`}>
        <TopPick arm={arm} user={user} />
        <h3>For {user}</h3>
        <RecommendationList arm={arm} user={user} />
        {user !== 'guest' && (
          <>
            <h3>Signed-out visitors see</h3>
            <RecommendationList arm={arm} user="guest" />
          </>
        )}
      </div>
    </section>
  )
}
