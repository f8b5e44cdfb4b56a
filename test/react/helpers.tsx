import { act, cleanup, render } from '@testing-library/react'
import { Profiler, StrictMode, Suspense, use, useState, useTransition, type ReactNode } from 'react'
import { afterEach, vi } from 'vitest'
import { createCache } from '../../src/core/cache'
import type { Cache, CacheOptions } from '../../src/core/types'
import { CacheProvider } from '../../src/react/provider'

// Without vitest globals, Testing Library cannot unmount between tests by itself.
afterEach(() => cleanup())

/** A cache on the fake clock, without retries so a failure shows at once. */
export function testCache(options: CacheOptions = {}): Cache {
  return createCache({ retry: 0, now: () => Date.now(), ...options })
}

/** Runs everything due now: promise callbacks, the batched notify, React's commit. */
export async function settle(ms = 0): Promise<void> {
  await act(() => vi.advanceTimersByTimeAsync(ms))
}

/**
 * Lets `ms` pass, then the batched notify of what a timer did at the end of
 * it: fake timers run a `setTimeout(0)` set inside a timer callback 1 ms later.
 */
export async function elapse(ms: number): Promise<void> {
  await settle(ms)
  await settle(1)
}

/** Counts React commits under one `<Profiler>`. */
export function commitCounter() {
  const counter = { commits: 0 }
  const onRender = () => {
    counter.commits++
  }
  const Wrap = ({ children }: { children: ReactNode }) => (
    <Profiler id="commits" onRender={onRender}>
      {children}
    </Profiler>
  )
  return Object.assign(counter, { Wrap })
}

/** Renders `ui` under a CacheProvider (and StrictMode when asked). */
export function renderWith(
  cache: Cache,
  ui: ReactNode,
  options: { segment?: string | undefined; strict?: boolean } = {},
) {
  const wrap = (node: ReactNode) => {
    const tree = (
      <CacheProvider cache={cache} segment={options.segment}>
        {node}
      </CacheProvider>
    )
    return options.strict ? <StrictMode>{tree}</StrictMode> : tree
  }
  const result = render(wrap(ui))
  return { ...result, rerender: (next: ReactNode) => result.rerender(wrap(next)) }
}

/**
 * Renders `View` with id 1 beside a sibling that suspends for id 2, and
 * returns a function that starts a transition to id 2: React keeps id 1 on
 * screen and never commits the transition.
 */
export function renderTransition(cache: Cache, View: (props: { id: number }) => ReactNode): () => void {
  const never = new Promise<never>(() => {})
  // `use` is React 19's; React 18 (which has none) suspends on a thrown promise.
  const suspend = (): never => {
    if (typeof use === 'function') return use(never)
    throw never
  }
  const Sibling = ({ id }: { id: number }) => (id === 2 ? suspend() : null)
  let go!: () => void
  function App() {
    const [id, setId] = useState(1)
    const [, start] = useTransition()
    go = () => start(() => setId(2))
    return (
      <Suspense fallback={<p>fallback</p>}>
        <View id={id} />
        <Sibling id={id} />
      </Suspense>
    )
  }
  renderWith(cache, <App />)
  return () => go()
}
