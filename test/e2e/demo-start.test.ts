// @vitest-environment node
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { freePort } from '../helpers/redis'
import { until } from './wait'

// The newcomer's path: `npm run demo` (package.json's own command line, run
// here without npm in between) builds the page, serves it on 127.0.0.1 and
// prints the URL; SIGTERM stops it cleanly.

const root = fileURLToPath(new URL('../..', import.meta.url))
const demoScript = (JSON.parse(readFileSync(`${root}package.json`, 'utf8')) as { scripts: { demo: string } }).scripts.demo
const [command, ...args] = demoScript.split(' ')
const children: ChildProcess[] = []

afterAll(async () => {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue
    const exited = new Promise((resolve) => child.once('exit', resolve))
    child.kill('SIGKILL')
    await exited
  }
})

/** `npm run demo`'s command line, with `env` added; its output is collected. */
function startDemo(env: Record<string, string>) {
  // A plain `node …` line: this node runs it (npm would too, from the PATH).
  expect(command).toBe('node')
  const child = spawn(process.execPath, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  let output = ''
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  return { child, output: () => output }
}

it('npm run demo builds, serves the page on a printed 127.0.0.1 URL, and stops on SIGTERM', async () => {
  // PORT=0: a free port, so the test never collides with a demo already running.
  const { child: running, output } = startDemo({ PORT: '0', REDIS_URL: '' })

  await until('the demo to print its URL', () => /http:\/\/127\.0\.0\.1:\d+/.test(output()), 20_000)
  const url = /http:\/\/127\.0\.0\.1:\d+/.exec(output())?.[0] ?? ''
  expect(output()).toContain('memory hub')

  const page = await fetch(url)
  expect(page.status).toBe(200)
  expect(await page.text()).toContain('<script type="module" src="/app.js">')
  const script = await fetch(`${url}/app.js`)
  expect(script.status).toBe(200)
  expect((await script.text()).length).toBeGreaterThan(100_000) // React and the app, bundled

  const exit = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)))
  running.kill('SIGTERM')
  expect(await exit).toBe(0)
}, 30_000)

it('with REDIS_URL naming a Redis that is not running, npm run demo says so and exits 1 instead of serving', async () => {
  // Nothing listens on a port just found free: the README's Redis line, run without redis-server.
  const redisUrl = `redis://127.0.0.1:${await freePort()}`
  const { child: running, output } = startDemo({ PORT: '0', REDIS_URL: redisUrl })
  const exit = new Promise<number | null>((resolve) => running.once('exit', (code) => resolve(code)))
  await until('the demo to exit', () => running.exitCode !== null || running.signalCode !== null, 20_000)
  expect(await exit).toBe(1)
  expect(output()).toContain(`Redis at ${redisUrl} is unreachable`)
  expect(output()).toContain('without REDIS_URL')
  expect(output()).not.toContain('ready')
}, 30_000)
