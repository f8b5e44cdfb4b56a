import { useState } from 'react'
import { CacheProvider, useInvalidationStream, useMutation, type Cache } from '../../../src/index'
import { arms, modelName, users, type Bootstrap } from '../types'
import { ArmColumn } from './ArmColumn'
import { CachePanel } from './CachePanel'
import { ModelControls } from './ModelControls'
import { ProductControls } from './ProductControls'
import { postJson } from './queries'
import { useCacheView } from './use-cache-view'
import { useTabLock } from './use-tab-lock'

// The demo has no login: the page asks the hub for both arms' events so it
// can show them side by side (a real user sits in one arm).
const eventsUrl = `/api/events?segments=${arms.join(',')}`

export function App({ cache, bootstrap, staleTime }: { cache: Cache; bootstrap: Bootstrap; staleTime: number }) {
  const [user, setUser] = useState<string>(users[0])
  const view = useCacheView(cache, modelName, bootstrap.modelVersion)
  return (
    <CacheProvider cache={cache}>
      <Header user={user} onUser={setUser} store={bootstrap.store} />
      <main>
        {arms.map((arm) => (
          <CacheProvider key={arm} cache={cache} segment={arm}>
            <ArmColumn arm={arm} user={user} />
          </CacheProvider>
        ))}
        <CachePanel view={view} staleTime={staleTime} />
      </main>
      <div className="controls">
        <ProductControls />
        <ModelControls current={view.modelVersion} />
      </div>
    </CacheProvider>
  )
}

function Header({ user, onUser, store }: { user: string; onUser: (user: string) => void; store: string }) {
  // One event stream per browser: the tab holding the lock connects, the
  // others hear the server through it (see useTabLock).
  const connects = useTabLock('cachet-demo-event-stream')
  const stream = useInvalidationStream(connects ? eventsUrl : null)
  const reset = useMutation({ mutationFn: () => postJson('/api/reset') })
  return (
    <header>
      <h1>cachet · AI recommendations</h1>
      <p>
        Two experiment arms, one cache. Server-sent invalidations ({store} hub):{' '}
        <span data-testid="stream-role" data-role={connects ? 'leader' : 'follower'}>
          {connects ? "this tab's stream is " : 'relayed by another tab'}
        </span>
        {connects && <span data-testid="stream-state">{stream.state}</span>}. Open a second tab: it follows this one.
      </p>
      <p>
        <label>
          Viewing as{' '}
          <select data-testid="user-select" value={user} onChange={(event) => onUser(event.target.value)}>
            {users.map((name) => (
              <option key={name}>{name}</option>
            ))}
          </select>
        </label>{' '}
        <button data-testid="reset" onClick={() => reset.mutate(undefined)}>
          Reset demo
        </button>
      </p>
    </header>
  )
}
