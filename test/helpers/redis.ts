import { spawn, type ChildProcess } from 'node:child_process'
import { connect, createServer, type Socket } from 'node:net'
import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { redisStore, type EventStore, type RedisStoreOptions } from '../../src/server'
import { startHub, type HubServer } from '../server/hub-setup'
import type { SseStream } from '../server/sse-client'

// A throwaway redis-server for tests: 127.0.0.1 only, a free port, no
// persistence. `stop()` and `start()` again reuse the same port, so clients
// configured with `url` reconnect to the revived server (the fault tests).

export interface TestRedis {
  readonly port: number
  readonly url: string
  /** Starts the server (again) on the same port; resolves once it answers PING. */
  start(): Promise<void>
  /** Kills the server and resolves once it has exited. */
  stop(): Promise<void>
}

const binary = process.env.REDIS_SERVER ?? 'redis-server'
const startTimeoutMs = 10_000
const stopTimeoutMs = 5_000

/** A connected client for a test's own commands (it fails fast, and its errors are the test's to see). */
export async function adminClient(url: string): Promise<Redis> {
  const admin = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 })
  admin.on('error', () => {})
  await admin.connect()
  return admin
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort()
  let child: ChildProcess | undefined

  async function start(): Promise<void> {
    if (child) throw new Error('test redis is already running')
    const proc = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    child = proc
    let stderr = ''
    proc.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
    const failed = new Promise<never>((_, reject) => {
      proc.once('error', (error) =>
        reject(new Error(`could not start ${binary} (${error.message}): install it, e.g. apt-get install redis-server`)),
      )
      proc.once('exit', (code) => reject(new Error(`${binary} exited with code ${code} before answering PING: ${stderr}`)))
    })
    failed.catch(() => {})
    try {
      await Promise.race([failed, waitForPong(port, startTimeoutMs)])
    } catch (error) {
      proc.kill('SIGKILL')
      child = undefined
      throw error
    }
  }

  async function stop(): Promise<void> {
    const proc = child
    if (!proc) return
    child = undefined
    if (proc.exitCode !== null || proc.signalCode !== null) return
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
    proc.kill('SIGKILL')
    await withTimeout(exited, stopTimeoutMs, `${binary} did not exit within ${stopTimeoutMs} ms`)
  }

  await start()
  return { port, url: `redis://127.0.0.1:${port}`, start, stop }
}

export interface TestRedisFixture {
  /** The test Redis's port and url (see `startTestRedis`). */
  readonly port: number
  readonly url: string
  /** A client of the test's own, connected directly (see `adminClient`). */
  readonly admin: Redis
  /** A relay to the test Redis (see `startRedisRelay`), closed after the test. */
  relay(): Promise<RedisRelay>
  /** A `redisStore`, closed after the test. */
  store(options: RedisStoreOptions): EventStore
  /** A hub on a `redisStore` behind a real http server (see `startHub`), stopped after the test. */
  hub(options: RedisStoreOptions): Promise<HubServer>
  /** A hub as `hub()` starts it, and one client that has received its `sync`. */
  hubWithClient(options: RedisStoreOptions): Promise<{ running: HubServer; client: SseStream }>
}

/**
 * The arrange step the Redis fault tests share: one test Redis for the file
 * and an admin client on it, both started before its first test and stopped
 * after its last, and the relays, stores and hubs each test starts through the
 * fixture, closed after that test (the last started first). Registers vitest
 * hooks: call it at the top level of a test file.
 */
export function useTestRedis(): TestRedisFixture {
  let redis: TestRedis | undefined
  let admin: Redis | undefined
  const cleanups: (() => Promise<void>)[] = []
  beforeAll(async () => {
    redis = await startTestRedis()
    admin = await adminClient(redis.url)
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  afterAll(async () => {
    admin?.disconnect()
    await redis?.stop()
  })
  const started = () => {
    if (!redis || !admin) throw new Error('the test Redis has not started: call useTestRedis() at the top level of the test file')
    return { redis, admin }
  }
  const fixture: TestRedisFixture = {
    get port() {
      return started().redis.port
    },
    get url() {
      return started().redis.url
    },
    get admin() {
      return started().admin
    },
    async relay() {
      const relay = await startRedisRelay(started().redis.port)
      cleanups.push(() => relay.close())
      return relay
    },
    store(options) {
      const store = redisStore(options)
      cleanups.push(() => store.close())
      return store
    },
    async hub(options) {
      const running = await startHub({ store: redisStore(options) })
      cleanups.push(() => running.stop())
      return running
    },
    async hubWithClient(options) {
      const running = await fixture.hub(options)
      const client = await running.connect()
      await client.waitFor((s) => s.messages().length === 1, 'the sync')
      return { running, client }
    },
  }
  return fixture
}

export interface RedisRelay {
  /** Where clients behind the relay connect. */
  readonly url: string
  /** Drops every connection through the relay and refuses new ones: Redis is gone for those clients only. */
  cut(): void
  /** From now on, what clients send goes no further (Redis's answers still reach them), until `cut()`. */
  hold(): void
  /** From now on, Redis's answers go no further (what clients send still reaches it), until `cut()`. */
  mute(): void
  /** From now on, Redis's answers are kept back (what clients send still reaches it), until `release()`. */
  delay(): void
  /** Sends the answers `delay()` kept back, and lets answers through again. */
  release(): void
  /**
   * The connections open now go dead without a word (a network path gone: no
   * reset, nothing gets through either way); new ones get through.
   */
  stall(): void
  /** Lets connections through again. */
  restore(): void
  close(): Promise<void>
}

/**
 * A TCP relay on 127.0.0.1 to the test Redis on `port`. A test that cuts it
 * decides when the clients behind it get Redis back, while its own client,
 * connected directly, writes meanwhile: the order of the two is then the
 * test's, not the scheduler's.
 */
export async function startRedisRelay(port: number): Promise<RedisRelay> {
  const sockets = new Set<Socket>()
  let open = true
  let holding = false
  let muted = false
  let delayed: (() => void)[] | undefined
  // Connections that stall() left dead: each checks its own flag.
  const alive = new Set<{ dead: boolean }>()
  const track = (socket: Socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.once('close', () => sockets.delete(socket))
  }
  const server = createServer((client) => {
    track(client)
    if (!open) return void client.destroy()
    const upstream = connect(port, '127.0.0.1')
    track(upstream)
    const path = { dead: false }
    alive.add(path)
    client.on('data', (chunk: Buffer) => void (holding || path.dead || upstream.write(chunk)))
    upstream.on('data', (chunk: Buffer) => {
      if (muted || path.dead) return
      if (delayed) delayed.push(() => client.write(chunk))
      else client.write(chunk)
    })
    client.once('close', () => upstream.destroy())
    upstream.once('close', () => client.destroy())
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const address = server.address()
  if (typeof address !== 'object' || !address) throw new Error('the relay has no port')
  const dropAll = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    url: `redis://127.0.0.1:${address.port}`,
    cut() {
      open = false
      holding = false
      muted = false
      dropAll()
    },
    hold() {
      holding = true
    },
    mute() {
      muted = true
    },
    stall() {
      for (const path of alive) path.dead = true
      alive.clear()
    },
    delay() {
      delayed ??= []
    },
    release() {
      const kept = delayed ?? []
      delayed = undefined
      for (const send of kept) send()
    },
    restore() {
      open = true
    },
    async close() {
      open = false
      dropAll()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** A port nothing listens on right now, on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

// Polls with a raw PING until the server answers +PONG, within `timeoutMs`.
async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await ping(port)) return
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let reply = ''
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(500, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Retries `attempt` until it resolves, for at most `timeoutMs`: for waiting on a
 * real process (Redis coming back), each retry spaced by a short pause.
 */
export async function eventually<T>(attempt: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await attempt()
    } catch (error) {
      if (Date.now() > deadline) throw error
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  }
}
