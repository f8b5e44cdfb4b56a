import { useEffect, useState } from 'react'

/**
 * Whether this tab holds the named Web Lock: exactly one tab of the browser
 * does at a time, and when it closes the next waiting tab takes over.
 *
 * The demo opens the server-sent event stream only in the tab that holds the
 * lock; broadcastInvalidations carries what it receives to the others. A
 * stream in every tab would work too (a tab applies each server event once,
 * by its id, whichever way it comes), but costs the server one connection per
 * tab. Without Web Locks every tab connects. The relay carries invalidations
 * and model versions, not `set` messages: those reach the lock holder only.
 *
 * When the tab holding the lock closes, the next one connects afresh. An event
 * published in that moment is not replayed to it, but the tab heard the
 * stream through the relay: when the hub's first sync is past the last event
 * it heard, it invalidates its active entries (and relays that to the others).
 */
export function useTabLock(name: string): boolean {
  const [held, setHeld] = useState(false)
  useEffect(() => {
    const locks = (navigator as Navigator & { locks?: LockManager }).locks
    if (!locks) {
      setHeld(true)
      return
    }
    const abandon = new AbortController()
    let release: (() => void) | undefined
    locks
      .request(name, { signal: abandon.signal }, () => {
        setHeld(true)
        // Held until this component unmounts (or the tab closes).
        return new Promise<void>((resolve) => (release = resolve))
      })
      .catch(() => {
        // Aborted while still waiting: this tab unmounted before its turn.
      })
    return () => {
      abandon.abort()
      release?.()
      setHeld(false)
    }
  }, [name])
  return held
}
