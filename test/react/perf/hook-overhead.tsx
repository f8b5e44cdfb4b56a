// What useCachedQuery adds over a bare useSyncExternalStore on the same core
// observer, per update: 1,000 components on one key, data set 200 times.
//   NODE_ENV=production node --import tsx test/react/perf/hook-overhead.tsx
// Not a test (timings are machine-dependent); prints ms per update and the ratio.
import { installDom } from '../../../bench/dom'

installDom()
const React = await import('react')
const { createRoot } = await import('react-dom/client')
const { createCache } = await import('../../../src/core/cache')
const { observe } = await import('../../../src/core/observer')
const { CacheProvider } = await import('../../../src/react/provider')
const { useCachedQuery } = await import('../../../src/react/use-cached-query')
type Cache = import('../../../src/core/types').Cache

const COMPONENTS = 1_000
const UPDATES = 200
const key = ['product', 1]
const fetcher = async () => 'never'

function Hook() {
  const q = useCachedQuery({ key, fetcher, staleTime: Infinity })
  return React.createElement('i', null, q.data as string)
}

function Bare({ cache }: { cache: Cache }) {
  const [bare] = React.useState(() => {
    const observer = observe<string>(cache, { key, fetcher, staleTime: Infinity })
    return { subscribe: (listener: () => void) => observer.subscribe(listener), getSnapshot: () => observer.getSnapshot() }
  })
  const entry = React.useSyncExternalStore(bare.subscribe, bare.getSnapshot)
  return React.createElement('i', null, entry?.data)
}

async function run(kind: 'hook' | 'bare'): Promise<number> {
  const cache = createCache({ staleTime: Infinity, refetchOnFocus: false, refetchOnReconnect: false })
  cache.set(key, 'v0')
  const container = document.createElement('div')
  const root = createRoot(container)
  const children = Array.from({ length: COMPONENTS }, (_, i) =>
    kind === 'hook' ? React.createElement(Hook, { key: i }) : React.createElement(Bare, { key: i, cache }),
  )
  root.render(React.createElement(CacheProvider, { cache }, children))
  await until(() => container.lastChild?.textContent === 'v0')
  let total = 0
  for (let n = 1; n <= UPDATES; n++) {
    const value = `v${n}`
    const start = performance.now()
    cache.set(key, value)
    await until(() => container.firstChild?.textContent === value && container.lastChild?.textContent === value)
    total += performance.now() - start
  }
  root.unmount()
  cache.clear()
  return total / UPDATES
}

function until(done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (done() ? resolve() : setImmediate(check))
    check()
  })
}

const results: Record<string, number[]> = { hook: [], bare: [] }
for (let round = 0; round < 9; round++) {
  for (const kind of ['bare', 'hook'] as const) results[kind]!.push(await run(kind))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const bare = median(results.bare!)
const hook = median(results.hook!)
console.log(`bare useSyncExternalStore: ${bare.toFixed(2)} ms/update`)
console.log(`useCachedQuery:            ${hook.toFixed(2)} ms/update (${(hook / bare).toFixed(2)}x)`)
