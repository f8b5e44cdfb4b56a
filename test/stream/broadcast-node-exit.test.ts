// @vitest-environment node
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { expect, it } from 'vitest'

// Node has a BroadcastChannel too (since 18), and an open one keeps the
// process alive. An app module that starts the relay at load, as the README
// does, is also imported by Node: a server-rendering build or prerender
// script, a test runner. Such a process must end when its own work ends, as
// it does with the cache's timers: the relay only listens.

const root = fileURLToPath(new URL('../..', import.meta.url))
const exitTimeoutMs = 10_000

it('a Node process that starts broadcastInvalidations and does nothing else exits by itself', async () => {
  const script = [
    "import { createCache } from './src/core/cache.ts'",
    "import { broadcastInvalidations } from './src/stream/broadcast.ts'",
    'broadcastInvalidations(createCache())',
    "console.log('relaying')",
  ].join('\n')
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()))
  const exited = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => {
      // Still running: stopped here, so the test never leaves it behind.
      child.kill('SIGKILL')
      resolve(false)
    }, exitTimeoutMs)
    child.once('exit', () => {
      clearTimeout(timer)
      resolve(true)
    })
  })
  expect(output).toContain('relaying')
  expect(exited, `still running after ${exitTimeoutMs} ms; output:\n${output}`).toBe(true)
  expect(child.exitCode).toBe(0)
})
