// @vitest-environment node
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { until } from './wait'

// The newcomer's path: `npm run demo` (this very command line) builds the
// page, serves it on 127.0.0.1 and prints the URL; SIGTERM stops it cleanly.

const root = fileURLToPath(new URL('../..', import.meta.url))
let child: ChildProcess | undefined

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child?.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
})

it('npm run demo builds, serves the page on a printed 127.0.0.1 URL, and stops on SIGTERM', async () => {
  // PORT=0: a free port, so the test never collides with a demo already running.
  child = spawn(process.execPath, ['--import', 'tsx', 'examples/ai-recommendations/start.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))

  await until('the demo to print its URL', () => /http:\/\/127\.0\.0\.1:\d+/.test(output), 20_000)
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(output)?.[0] ?? ''
  expect(output).toContain('memory hub')

  const page = await fetch(url)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('<script type="module" src="/app.js">')
  const script = await fetch(`${url}/app.js`)
  expect(script.status).toBe(200)
  expect((await script.text()).length).toBeGreaterThan(100_000) // React and the app, bundled

  const running = child
  const exit = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)))
  running.kill('SIGTERM')
  expect(await exit).toBe(0)
}, 30_000)
