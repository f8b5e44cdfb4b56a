// @vitest-environment node
import { spawn, type ChildProcess } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort, startTestRedis, type TestRedis } from '../helpers/redis'
import { openStream, type SseStream } from './sse-client'

// The README's Node example (examples/readme-server.ts), run for real the way
// a reader would: `node --import tsx` on a free port, once with the memory
// store and once over a real redis-server (REDIS_URL set). Every wait is
// bounded and driven by the process's output or the stream's bytes.

const root = fileURLToPath(new URL('../..', import.meta.url))
const examplePath = 'examples/readme-server.ts'
const startTimeoutMs = 20_000

it("examples/readme-server.ts is the README's Node example, word for word but the import", () => {
  const readme = readFileSync(`${root}README.md`, 'utf8')
  const block = /```ts\n(\/\/ Node: cachet\/server\n[\s\S]*?)```/.exec(readme)?.[1]
  const example = readFileSync(`${root}${examplePath}`, 'utf8')
  expect(block).toBeDefined()
  expect(example).toContain("from '../src/server/index'")
  const body = (code: string) => code.slice(code.indexOf('import http')).replace(/from '[^']*server[^']*'/, "from 'cachet/server'")
  expect(body(example)).toBe(body(block!))
})


interface RunningExample {
  child: ChildProcess
  base: string
  output: () => string
}

// Starts the example and resolves once it prints its URL (it does so from the
// listen callback); rejects if it exits first or stays silent too long.
async function startExample(env: Record<string, string>): Promise<RunningExample> {
  const port = await freePort()
  const child = spawn(process.execPath, ['--import', 'tsx', examplePath], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  const base = `http://127.0.0.1:${port}`
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => fail(`printed nothing within ${startTimeoutMs} ms`), startTimeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      if (output.includes(`${base}/api/events`)) {
        clearTimeout(timer)
        resolve()
      }
    }
    const fail = (why: string) => {
      clearTimeout(timer)
      // A child that never listened is stopped here: nobody else holds it.
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      reject(new Error(`${examplePath} ${why}; output:\n${output}`))
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('error', (error) => fail(`could not start (${error.message})`))
    child.once('exit', (code, signal) => fail(`exited (${signal ?? code}) before listening`))
  })
  return { child, base, output: () => output }
}

async function stopExample(running: RunningExample | undefined): Promise<void> {
  const child = running?.child
  if (!child || child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  child.kill('SIGKILL')
  let timer: ReturnType<typeof setTimeout> | undefined
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('the example did not exit')), 5_000)))
  await Promise.race([exited, limit]).finally(() => clearTimeout(timer))
}

async function soldOut(base: string): Promise<string> {
  const response = await fetch(`${base}/api/products/42/sold-out`, { method: 'POST', signal: AbortSignal.timeout(5_000) })
  const body = await response.text()
  expect(response.status, body).toBe(200)
  return body
}

const outOfStock = { type: 'invalidate', tags: ['product:42'], mode: 'remove' }
const messageWithId = (id: string) => (s: SseStream) => s.messages().some((m) => m.id === id)

describe.each([
  { store: 'memory store', redis: false },
  { store: 'Redis store (REDIS_URL set)', redis: true },
])('the README Node example, run with node --import tsx: $store', ({ redis: useRedis }) => {
  let redis: TestRedis | undefined
  let running: RunningExample | undefined
  const streams: SseStream[] = []

  beforeAll(async () => {
    if (useRedis) redis = await startTestRedis()
    running = await startExample({ REDIS_URL: redis?.url ?? '' })
  })
  afterAll(async () => {
    for (const stream of streams) stream.close()
    await stopExample(running)
    await redis?.stop()
  })

  async function connect(headers: Record<string, string> = {}): Promise<SseStream> {
    const stream = await openStream(`${running!.base}/api/events`, headers)
    streams.push(stream)
    expect(stream.status).toBe(200)
    expect(stream.headers['content-type']).toBe('text/event-stream')
    return stream
  }

  it('streams sync first, then the invalidation its POST route publishes; a later tab resumes from the sync id and gets the replay', async () => {
    const { base } = running!

    // A browser that connects first: `sync` comes first. Nothing is stored yet: a
    // memory store's sync carries its birth id, an empty Redis stream's none.
    const first = await connect()
    await first.waitFor((s) => s.messages().length >= 1, 'the first event')
    const emptyId = useRedis ? undefined : expect.stringMatching(/^\d+-\d+$/)
    expect(first.messages()[0]).toEqual({ id: emptyId, message: { type: 'sync', replay: 'none' } })

    // The sold-out route publishes; the connected browser gets the event with the id the route answered.
    const id1 = await soldOut(base)
    await first.waitFor(messageWithId(id1), `the invalidation ${id1}`, 5_000)
    expect(first.messages()).toEqual([
      { id: emptyId, message: { type: 'sync', replay: 'none' } },
      { id: id1, message: outOfStock },
    ])

    // A tab that never saw an event: its sync carries the newest id, so it can resume exactly.
    const second = await connect()
    await second.waitFor((s) => s.messages().length >= 1, 'the second tab’s sync')
    expect(second.messages()).toEqual([{ id: id1, message: { type: 'sync', replay: 'none' } }])

    // It goes away, misses the next publish, and comes back with Last-Event-ID: the replay, then `complete`.
    second.close()
    const id2 = await soldOut(base)
    await first.waitFor(messageWithId(id2), `the live invalidation ${id2}`, 5_000)
    const resumed = await connect({ 'Last-Event-ID': id1 })
    await resumed.waitFor((s) => s.messages().length >= 2, 'the replay and its sync', 5_000)
    expect(resumed.messages()).toEqual([
      { id: id2, message: outOfStock },
      { id: id2, message: { type: 'sync', replay: 'complete' } },
    ])

    // Anything else is a 404, as the example says.
    const other = await fetch(`${base}/`, { signal: AbortSignal.timeout(5_000) })
    expect(other.status).toBe(404)
    expect(running!.output()).not.toMatch(/error/i)

    // With REDIS_URL set, the events really went through Redis (the store's default stream key).
    if (redis) {
      const admin = new Redis(redis.url, { maxRetriesPerRequest: 1 })
      admin.on('error', () => {})
      try {
        expect(await admin.xrange('cachet:invalidations', '-', '+')).toEqual([
          [id1, ['m', JSON.stringify(outOfStock)]],
          [id2, ['m', JSON.stringify(outOfStock)]],
        ])
      } finally {
        admin.disconnect()
      }
    }
  }, 30_000)
})
