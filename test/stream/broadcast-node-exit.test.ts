// @vitest-environment node
import { expect, it } from 'vitest'
import { runNodeScript } from '../helpers/node-script'

// Node has a BroadcastChannel too (since 18), and an open one keeps the
// process alive. An app module that starts the relay at load, as the README
// does, is also imported by Node: a server-rendering build or prerender
// script, a test runner. Such a process must end when its own work ends, as
// it does with the cache's timers: the relay only listens.

it('a Node process that starts broadcastInvalidations and does nothing else exits by itself', async () => {
  const run = await runNodeScript(
    [
      "import { createCache } from './src/core/cache.ts'",
      "import { broadcastInvalidations } from './src/stream/broadcast.ts'",
      'broadcastInvalidations(createCache())',
      "console.log('relaying')",
    ],
    10_000,
  )
  expect(run.output).toContain('relaying')
  expect(run.exited, run.stillRunning).toBe(true)
  expect(run.exitCode).toBe(0)
})
