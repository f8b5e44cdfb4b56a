// Fan-out benchmark for the invalidation hub (`npm run bench:hub`; not a test).
//
// 2,000 raw SSE connections on loopback. Each round publishes one event and
// measures the time until every socket has received it; the same bytes are
// then written by a bare loop over the same responses, for comparison.
// The sockets live in a worker thread (the second core), so the server side
// (the hub, or the bare loop) has the main thread to itself; both threads
// stamp times on the same clock (performance.timeOrigin + now()).
import { createServer, type ServerResponse } from 'node:http'
import { performance } from 'node:perf_hooks'
import { Worker } from 'node:worker_threads'
import { createInvalidationHub } from '../src/server'
import type { InvalidationMessage } from '../src/stream/schema'

const connections = Number(process.env.BENCH_CONNECTIONS ?? 2_000)
const rounds = Number(process.env.BENCH_ROUNDS ?? 30)
const warmup = 5
const roundTimeoutMs = 10_000
const overallTimeoutMs = 180_000
const connectBatch = 200

const clock = () => performance.timeOrigin + performance.now()
// Must match `marker` in the worker source below.
const marker = (round: number) => `bench-round-${round}-`

// Messages between this thread and the client worker.
type ToWorker = { type: 'connect'; port: number; count: number } | { type: 'stop' }
type FromWorker = { type: 'connected' } | { type: 'received'; round: number; at: number } | { type: 'error'; message: string }


async function main(): Promise<void> {
  const guard = setTimeout(() => {
    console.error(`bench:hub did not finish within ${overallTimeoutMs} ms`)
    process.exit(1)
  }, overallTimeoutMs)
  guard.unref()

  const hub = createInvalidationHub({ heartbeatMs: 3_600_000 })
  const responses: ServerResponse[] = []
  const server = createServer((req, res) => {
    responses.push(res)
    hub.handler(req, res)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', 2_048, resolve))
  const { port } = server.address() as { port: number }

  const worker = new Worker(clientWorkerSource, { eval: true })
  const inbox: FromWorker[] = []
  let wake: (() => void) | undefined
  worker.on('message', (message: FromWorker) => {
    inbox.push(message)
    wake?.()
  })
  worker.on('error', (error) => {
    inbox.push({ type: 'error', message: error.message })
    wake?.()
  })
  async function next(timeoutMs: number): Promise<FromWorker> {
    const deadline = Date.now() + timeoutMs
    while (inbox.length === 0) {
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no answer from the client worker within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
    const message = inbox.shift()!
    if (message.type === 'error') throw new Error(`client worker: ${message.message}`)
    return message
  }

  try {
    worker.postMessage({ type: 'connect', port, count: connections } satisfies ToWorker)
    if ((await next(60_000)).type !== 'connected') throw new Error('unexpected worker message')
    if (responses.length !== connections) throw new Error(`expected ${connections} responses, have ${responses.length}`)

    const hubTimes: number[] = []
    const bareTimes: number[] = []
    let round = 0
    let frameBytes = 0
    // Rounds alternate hub and bare loop, so that drift (GC, CPU frequency) hits both alike.
    for (let i = 0; i < warmup + rounds; i++) {
      for (const mode of ['hub', 'bare'] as const) {
        round++
        const message: InvalidationMessage = { type: 'invalidate', tags: [`${marker(round)}product:42`, 'inventory'] }
        let start: number
        if (mode === 'hub') {
          start = clock()
          await hub.publish(message)
        } else {
          // The same bytes the hub writes: an id of the same shape, the same JSON.
          const frame = `id: ${Date.now()}-0\ndata: ${JSON.stringify(message)}\n\n`
          frameBytes = Buffer.byteLength(frame)
          start = clock()
          for (const res of responses) res.write(frame)
        }
        const answer = await next(roundTimeoutMs)
        if (answer.type !== 'received' || answer.round !== round) throw new Error(`round ${round}: unexpected ${JSON.stringify(answer)}`)
        if (i >= warmup) (mode === 'hub' ? hubTimes : bareTimes).push(answer.at - start)
      }
    }
    report(hubTimes, bareTimes, frameBytes)
  } finally {
    worker.postMessage({ type: 'stop' } satisfies ToWorker)
    await Promise.race([new Promise((resolve) => worker.once('exit', resolve)), new Promise((resolve) => setTimeout(resolve, 5_000).unref())])
    await worker.terminate()
    await hub.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    clearTimeout(guard)
  }
}

function report(hub: number[], bare: number[], frameBytes: number): void {
  const stats = (times: number[]) => {
    const sorted = [...times].sort((a, b) => a - b)
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
    return { median: at(0.5), p99: at(0.99), min: sorted[0]!, max: sorted[sorted.length - 1]! }
  }
  const h = stats(hub)
  const b = stats(bare)
  const ms = (n: number) => n.toFixed(2).padStart(8)
  console.log(`hub fan-out: ${connections} SSE connections on 127.0.0.1, ${rounds} publishes (after ${warmup} warm-up), ~${frameBytes} bytes per event`)
  console.log('                         median      p99      min      max   (ms until every socket has the event)')
  console.log(`hub.publish()         ${ms(h.median)} ${ms(h.p99)} ${ms(h.min)} ${ms(h.max)}`)
  console.log(`bare res.write loop   ${ms(b.median)} ${ms(b.p99)} ${ms(b.min)} ${ms(b.max)}`)
  const ratio = h.median / b.median
  console.log(`ratio hub / bare: median ${ratio.toFixed(2)}x, p99 ${(h.p99 / b.p99).toFixed(2)}x  (target: within 1.5x) ${ratio <= 1.5 ? 'OK' : 'ABOVE TARGET'}`)
}

// The worker: opens the sockets, and reports when every one of them has seen
// each round's event. Plain JavaScript evaluated in the worker, because Node 20
// does not apply the tsx loader to worker threads.
const clientWorkerSource = String.raw`
const { connect } = require('node:net')
const { performance } = require('node:perf_hooks')
const { parentPort } = require('node:worker_threads')
const clock = () => performance.timeOrigin + performance.now()
const marker = (round) => 'bench-round-' + round + '-'
const connectBatch = ${connectBatch}
const sockets = []
const lastRound = new Map()
let round = 1
let seen = 0
let expected = 0

function onData(socket, chunk) {
  if (lastRound.get(socket) >= round || !chunk.includes(marker(round))) return
  lastRound.set(socket, round)
  if (++seen === expected) {
    parentPort.postMessage({ type: 'received', round, at: clock() })
    seen = 0
    round++
  }
}

function openOne(port) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.setEncoding('utf8')
    socket.setNoDelay(true)
    let opened = false
    socket.once('error', reject)
    socket.on('data', (chunk) => {
      if (!opened && chunk.includes('"type":"sync"')) {
        opened = true
        resolve()
      }
      onData(socket, chunk)
    })
    socket.write('GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n')
    sockets.push(socket)
    lastRound.set(socket, 0)
  })
}

async function open(port, count) {
  expected = count
  for (let i = 0; i < count; i += connectBatch) {
    const batch = []
    for (let j = i; j < Math.min(count, i + connectBatch); j++) batch.push(openOne(port))
    await Promise.all(batch)
  }
}

parentPort.on('message', (message) => {
  if (message.type === 'connect') {
    open(message.port, message.count).then(
      () => parentPort.postMessage({ type: 'connected' }),
      (error) => parentPort.postMessage({ type: 'error', message: sockets.length + ' sockets opened, then: ' + error.message }),
    )
  } else {
    for (const socket of sockets) socket.destroy()
    parentPort.close()
  }
})
`

await main()
