import { useLayoutEffect, useState, type ReactNode } from 'react'
import { createRoot, type Root } from 'react-dom/client'
import type { Fetch, Harness, Query } from './adapters/types'
import type { Payload } from './backend'

/**
 * Watches what every benchmark component shows. Components report each
 * commit of a new value from a layout effect, which runs right after React
 * wrote the DOM, so a wait ends the moment the last expected value is on
 * screen, without polling. Renders are counted in the component body.
 */
export class Probe {
  readonly renders: number[] = []
  readonly shown: (string | undefined)[] = []
  /** Renders that showed a value `isKnownInvalid` flags (scenario 8). */
  invalidRenders = 0
  isKnownInvalid: ((index: number, value: string | undefined) => boolean) | undefined
  /** Groups of commits reported in the same task: how many times React committed new data. */
  commits = 0
  private batchOpen = false
  private waiting:
    | { expected: ReadonlyMap<number, string>; remaining: number; resolve: (t: number) => void }
    | undefined

  onRender(index: number): void {
    this.renders[index] = (this.renders[index] ?? 0) + 1
  }

  onValue(index: number, value: string | undefined): void {
    if (this.isKnownInvalid?.(index, value)) this.invalidRenders++
  }

  onCommit(index: number, value: string | undefined): void {
    if (!this.batchOpen) {
      this.batchOpen = true
      this.commits++
      queueMicrotask(() => (this.batchOpen = false))
    }
    const before = this.shown[index]
    this.shown[index] = value
    const wait = this.waiting
    if (!wait) return
    const want = wait.expected.get(index)
    if (want === undefined) return
    if (before === want && value !== want) wait.remaining++
    if (before !== want && value === want) wait.remaining--
    if (wait.remaining === 0) {
      this.waiting = undefined
      wait.resolve(performance.now())
    }
  }

  /** Resolves with the time the last of `expected` (index → text) was committed. */
  waitUntil(expected: ReadonlyMap<number, string>, what: string, timeoutMs = 30_000): Promise<number> {
    let remaining = 0
    for (const [index, value] of expected) if (this.shown[index] !== value) remaining++
    if (remaining === 0) return Promise.resolve(performance.now())
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined
        const left = [...expected].filter(([i, v]) => this.shown[i] !== v)
        const [i, v] = left[0]!
        reject(new Error(`${what}: ${left.length} components still wrong after ${timeoutMs} ms (#${i} shows ${JSON.stringify(this.shown[i])}, wants ${JSON.stringify(v)})`))
      }, timeoutMs)
      this.waiting = {
        expected,
        remaining,
        resolve: (t) => {
          clearTimeout(timer)
          resolve(t)
        },
      }
    })
  }

  resetCounts(): void {
    this.renders.fill(0)
    this.commits = 0
  }

  totalRenders(indices?: Iterable<number>): number {
    let sum = 0
    if (!indices) for (const n of this.renders) sum += n ?? 0
    else for (const i of indices) sum += this.renders[i] ?? 0
    return sum
  }
}

export interface ItemSpec {
  index: number
  query: Query
}

/** The benchmark component: one query, shows `data.v`, reports to the probe. */
function Item({ spec, harness, fetch, probe }: { spec: ItemSpec; harness: Harness; fetch: Fetch<Payload>; probe: Probe }) {
  probe.onRender(spec.index)
  const value = harness.useData(spec.query, fetch)?.v
  probe.onValue(spec.index, value)
  useLayoutEffect(() => probe.onCommit(spec.index, value), [probe, spec.index, value])
  return <span data-i={spec.index}>{value ?? '…'}</span>
}

export function List({ items, harness, fetch, probe }: { items: readonly ItemSpec[]; harness: Harness; fetch: Fetch<Payload>; probe: Probe }) {
  return (
    <div>
      {items.map((spec) => (
        <Item key={spec.index} spec={spec} harness={harness} fetch={fetch} probe={probe} />
      ))}
    </div>
  )
}

/** A mounted React root whose content a scenario swaps with `show`. */
export interface Stage {
  container: HTMLElement
  show(node: ReactNode): void
  unmount(): void
}

export async function mountStage(harness: Harness): Promise<Stage> {
  const container = document.createElement('div')
  document.body.appendChild(container)
  let setContent: ((node: ReactNode) => void) | undefined
  let ready!: () => void
  const mounted = new Promise<void>((resolve) => (ready = resolve))

  function Slot() {
    const [content, set] = useState<ReactNode>(null)
    setContent = set
    useLayoutEffect(() => ready(), [])
    return <>{content}</>
  }

  const root: Root = createRoot(container)
  root.render(
    <harness.Root>
      <Slot />
    </harness.Root>,
  )
  await mounted
  return {
    container,
    show: (node) => setContent!(node),
    unmount() {
      root.unmount()
      container.remove()
    },
  }
}

/**
 * Checks the DOM itself, so a scenario cannot pass with nothing rendered:
 * every expected component is on screen with its expected text.
 */
export function assertDom(container: HTMLElement, expected: ReadonlyMap<number, string>, mounted: number): void {
  const spans = container.querySelectorAll('span[data-i]')
  if (spans.length !== mounted) throw new Error(`DOM has ${spans.length} components, expected ${mounted}`)
  const text = new Map<number, string>()
  for (const span of spans) text.set(Number(span.getAttribute('data-i')), span.textContent ?? '')
  for (const [index, value] of expected) {
    if (text.get(index) !== value) {
      throw new Error(`DOM: component #${index} shows ${JSON.stringify(text.get(index))}, expected ${JSON.stringify(value)}`)
    }
  }
}
