import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export interface SseFrame {
  data: string
  id?: string
  event?: string
}

export interface SseServerOptions {
  /** Port to bind; 0 (default) picks a free one. */
  port?: number
  /** Sent as `retry:` on every connection, so the client reconnects quickly. */
  retryMs?: number
  /** Frames to write to each new connection, given its Last-Event-ID header. */
  onConnect?: (lastEventId: string | undefined) => SseFrame[]
  /** Answers the first `refuse` requests with a 503 (a closing hub, a proxy mid-deploy). */
  refuse?: number
}

export interface SseServer {
  readonly port: number
  readonly url: string
  /** Last-Event-ID of every connection so far, in order (undefined: none sent). */
  readonly connections: ReadonlyArray<string | undefined>
  /** Writes one frame to every open stream. */
  send(frame: SseFrame): void
  /** Resolves once `count` connections have been made in total; rejects after `timeoutMs`. */
  waitForConnections(count: number, timeoutMs?: number): Promise<void>
  /** Cuts every stream and stops listening, like a crashed process. */
  stop(): Promise<void>
}

export function formatFrame(frame: SseFrame): string {
  let text = ''
  if (frame.id !== undefined) text += `id: ${frame.id}\n`
  if (frame.event !== undefined) text += `event: ${frame.event}\n`
  for (const line of frame.data.split('\n')) text += `data: ${line}\n`
  return `${text}\n`
}

/** A text/event-stream server on 127.0.0.1 for end-to-end tests. */
export async function startSseServer(options: SseServerOptions = {}): Promise<SseServer> {
  const streams = new Set<ServerResponse>()
  const sockets = new Set<Socket>()
  const connections: Array<string | undefined> = []
  const waiters = new Set<() => void>()
  let refused = 0

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (refused < (options.refuse ?? 0)) {
      refused += 1
      res.writeHead(503).end()
      return
    }
    const header = req.headers['last-event-id']
    const lastEventId = typeof header === 'string' ? header : undefined
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
    })
    if (options.retryMs !== undefined) res.write(`retry: ${options.retryMs}\n\n`)
    for (const frame of options.onConnect?.(lastEventId) ?? []) res.write(formatFrame(frame))
    streams.add(res)
    res.on('close', () => streams.delete(res))
    connections.push(lastEventId)
    for (const waiter of [...waiters]) waiter()
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port

  return {
    port,
    url: `http://127.0.0.1:${port}/events`,
    connections,
    send(frame) {
      const text = formatFrame(frame)
      for (const res of streams) res.write(text)
    },
    waitForConnections(count, timeoutMs = 5_000) {
      return new Promise<void>((resolve, reject) => {
        const check = () => {
          if (connections.length < count) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`sse-server: ${connections.length} of ${count} connections after ${timeoutMs} ms`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    async stop() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
