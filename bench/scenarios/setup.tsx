import type { Adapter, Harness, HarnessOptions } from '../adapters/types'
import { List, Probe, mountStage, type ItemSpec, type Stage } from '../app'
import { Backend } from '../backend'
import { collectGarbage } from '../stats'

export interface Bench {
  harness: Harness
  stage: Stage
  probe: Probe
  backend: Backend
  /** Renders `items` in place of what the stage showed. */
  show(items: readonly ItemSpec[]): void
}

/** Timed runs: no focus refetching, results fresh for a minute (SWR: deduped for a minute). */
export const timedOptions: HarnessOptions = { staleTime: 60_000, refetchOnFocus: false }

/**
 * Mounts a fresh cache of one library, runs `body`, and always unmounts and
 * disposes, so a failing library cannot leak work into the next one's run.
 */
export async function withBench<T>(
  adapter: Adapter,
  options: HarnessOptions,
  body: (bench: Bench) => Promise<T>,
  backend = new Backend(),
): Promise<T> {
  collectGarbage()
  const harness = adapter.create(options)
  const probe = new Probe()
  let stage: Stage | undefined
  try {
    stage = await mountStage(harness)
    const mounted = stage
    const bench: Bench = {
      harness,
      stage: mounted,
      probe,
      backend,
      show: (items) => mounted.show(<List items={items} harness={harness} fetch={backend.fetch} probe={probe} />),
    }
    return await body(bench)
  } finally {
    stage?.unmount()
    harness.dispose()
    // Let timers the library scheduled on unmount run before the next library starts.
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i)
}
