// @vitest-environment node
import { expect, it } from 'vitest'
import { runNodeScript } from '../helpers/node-script'

// The cache's housekeeping timers (gc, the stale flip) never keep a Node
// process alive. A retry's backoff is not housekeeping: someone awaits that
// fetch. A Node script that awaits `cache.fetch()` (a prerender, a build
// step, a CLI) whose first try fails must get the retry's answer, not end
// silently mid-await because only the backoff timer was left.

it('a Node script awaiting cache.fetch() whose first try fails gets the retry’s answer and exits 0', async () => {
  const run = await runNodeScript(
    [
      "import { createCache } from './src/core/cache.ts'",
      'const cache = createCache()',
      'let calls = 0',
      "const fetcher = async () => { calls++; if (calls === 1) throw new Error('flaky'); return 'fresh' }",
      "const data = await cache.fetch({ key: ['x'], fetcher })",
      "console.log(`got ${data} after ${calls} calls`)",
    ],
    15_000,
  )
  expect(run.exited, run.stillRunning).toBe(true)
  expect(run.output).toContain('got fresh after 2 calls')
  expect(run.exitCode).toBe(0)
})
