import type { ServerStats } from './types'

/** The calls the demo server served, for `GET /api/stats`, the page and the tests. */
export class StatsCounter {
  private current = emptyStats()

  endpoint(name: string): void {
    bump(this.current.byEndpoint, name)
  }

  recommendation(segment: string): void {
    bump(this.current.recommendationsBySegment, segment)
  }

  modelRun(): void {
    this.current.modelRuns += 1
  }

  notModified(): void {
    this.current.notModified += 1
  }

  published(): void {
    this.current.published += 1
  }

  /** A copy: callers may keep it while counting goes on. */
  snapshot(): ServerStats {
    return structuredClone(this.current)
  }

  reset(): void {
    this.current = emptyStats()
  }
}

function emptyStats(): ServerStats {
  return { byEndpoint: {}, recommendationsBySegment: {}, notModified: 0, modelRuns: 0, published: 0 }
}

function bump(counts: Record<string, number>, name: string): void {
  counts[name] = (counts[name] ?? 0) + 1
}
