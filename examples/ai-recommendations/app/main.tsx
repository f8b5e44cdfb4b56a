import { StrictMode } from 'react'
import { createRoot } from 'react-dom/client'
import { broadcastInvalidations, createCache, type Cache } from '../../../src/index'
import { modelName, type Bootstrap } from '../types'
import { App } from './App'

// Answers stay fresh for a minute: long enough to see hits and dedupes, short
// enough to watch an entry turn stale in the panel.
const staleTime = 60_000

declare global {
  interface Window {
    /** The page's cache, for poking at in devtools and for the e2e test. */
    cachetDemo?: { cache: Cache }
  }
}

const bootstrap = JSON.parse(document.getElementById('bootstrap')?.textContent ?? '{}') as Bootstrap

const cache = createCache({
  staleTime,
  models: { [modelName]: bootstrap.modelVersion },
  onError: (error) => console.warn('cachet:', error.message),
})
// Invalidations made here (and those the hub sends here) reach every other
// tab of the demo, and theirs reach this one.
broadcastInvalidations(cache)
window.cachetDemo = { cache }

const root = document.getElementById('root')
if (!root) throw new Error('the page has no #root element')
createRoot(root).render(
  <StrictMode>
    <App cache={cache} bootstrap={bootstrap} staleTime={staleTime} />
  </StrictMode>,
)
