import type { Harness, Query } from '../adapters/types'
import { assertDom, type ItemSpec } from '../app'
import { Backend } from '../backend'
import { fireFocus } from '../dom'
import { SCRIPT, MODEL, World, hits, idOf, invalidationOf, minimumCalls, type Step } from './session'
import { withBench } from './setup'
import type { Scenario } from './types'

const MINIMUM = minimumCalls(SCRIPT)

/**
 * Scenario 8: the scripted session, run step by step. After every step the
 * backend settles and every mounted component must show what the backend
 * last answered for it (and, where the step invalidated it, the new answer).
 * Counts backend calls, and renders showing a value the app had already been
 * told must not be shown (a sold-out product, the busted arm's lists).
 */
export const backendCalls: Scenario = {
  id: 'backend-calls',
  title: 'AI-recommendations session: backend calls and known-invalid renders',
  runs: 3,
  metrics: [
    { id: 'calls', label: 'backend calls', unit: 'calls', ideal: MINIMUM, headline: true },
    { id: 'invalidRenders', label: 'renders showing known-invalid data', unit: 'renders', ideal: 0 },
    { id: 'renders', label: 'renders in total', unit: 'renders' },
  ],
  run(adapter) {
    const world = new World()
    const backend = new Backend(0, (query) => world.answer(query))
    const options = { staleTime: 60_000, refetchOnFocus: true, models: { [MODEL]: world.model } }
    return withBench(
      adapter,
      options,
      async ({ harness, probe, show, stage }) => {
        const session: Session = { mounted: [], idByIndex: new Map(), known: new Map(), nextIndex: 0 }
        const invalid = new Map<string, Set<string>>()
        probe.isKnownInvalid = (index, value) =>
          value !== undefined && (invalid.get(session.idByIndex.get(index)!)?.has(value) ?? false)

        for (const step of SCRIPT) {
          const invalidation = invalidationOf(step)
          const before = new Map([...session.known.keys()].map((id) => [id, backend.lastServed.get(id)]))
          // Values cached before a 'remove' and changed by it must never be shown again.
          // Marked before the step runs: the app is told as the step begins.
          const applyStep = apply(step, harness, world, show, session)
          if (invalidation?.mode === 'remove') {
            for (const [id, query] of session.known) {
              const old = before.get(id)
              if (old === undefined || !hits(invalidation, query) || old === backend.valueOf(query)) continue
              const set = invalid.get(id) ?? new Set<string>()
              invalid.set(id, set.add(old))
            }
          }
          await applyStep
          if (step.kind === 'focus') fireFocus()
          await backend.settle()
          const expected = new Map<number, string>()
          for (const { index, query } of session.mounted) {
            const hit = invalidation !== undefined && hits(invalidation, query)
            const last = backend.lastServed.get(idOf(query))
            expected.set(index, hit || last === undefined ? backend.valueOf(query) : last)
          }
          await probe.waitUntil(expected, `backend-calls after ${step.kind}`)
          assertDom(stage.container, expected, session.mounted.length)
        }
        return { calls: backend.calls, invalidRenders: probe.invalidRenders, renders: probe.totalRenders() }
      },
      backend,
    )
  },
}

interface Session {
  mounted: ItemSpec[]
  idByIndex: Map<number, string>
  /** Every query mounted so far, by id. */
  known: Map<string, Query>
  nextIndex: number
}

async function apply(step: Step, harness: Harness, world: World, show: (items: readonly ItemSpec[]) => void, session: Session): Promise<void> {
  const invalidation = invalidationOf(step)
  switch (step.kind) {
    case 'mount':
      for (const query of step.queries) {
        // Each component gets its own index; two on one query count separately.
        const index = session.nextIndex++
        session.idByIndex.set(index, idOf(query))
        session.known.set(idOf(query), query)
        session.mounted.push({ index, query })
      }
      show([...session.mounted])
      return
    case 'unmount':
      for (const query of step.queries) {
        const at = session.mounted.map((m) => idOf(m.query)).lastIndexOf(idOf(query))
        if (at >= 0) session.mounted.splice(at, 1)
      }
      show([...session.mounted])
      return
    case 'price':
      world.price.set(step.product, (world.price.get(step.product) ?? 10) + 1)
      break
    case 'stock-out':
      world.outOfStock.add(step.product)
      break
    case 'arm-bust':
      world.armVersion.set(step.segment, (world.armVersion.get(step.segment) ?? 0) + 1)
      break
    case 'model':
      world.model = step.version
      await harness.setModelVersion({
        model: MODEL,
        version: step.version,
        policy: step.policy,
        byKey: invalidation?.byKey ?? (() => false),
      })
      return
    case 'focus':
      return
  }
  if (invalidation) await harness.invalidate(invalidation)
}
