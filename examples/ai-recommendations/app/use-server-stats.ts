import { useEffect, useState } from 'react'
import type { ServerStats } from '../types'

/**
 * Polls the server's call counters. Plain fetch on purpose: the panel reports
 * on the cache, it should not fill it.
 */
export function useServerStats(intervalMs = 1500): ServerStats | undefined {
  const [stats, setStats] = useState<ServerStats>()
  useEffect(() => {
    let stopped = false
    const poll = () => {
      fetch('/api/stats')
        .then((response) => (response.ok ? (response.json() as Promise<ServerStats>) : undefined))
        .then((next) => {
          if (!stopped && next) setStats(next)
        })
        .catch(() => {
          // The server went away; the next poll tries again.
        })
    }
    poll()
    const timer = setInterval(poll, intervalMs)
    return () => {
      stopped = true
      clearInterval(timer)
    }
  }, [intervalMs])
  return stats
}
