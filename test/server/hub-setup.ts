import { createServer, type Server, type ServerOptions } from 'node:http'
import { createInvalidationHub, type InvalidationHub, type InvalidationHubOptions } from '../../src/server'
import { openStream, urlOf, type SseStream } from './sse-client'

// One hub behind a real http server on 127.0.0.1 and a free port, plus every
// stream opened against it, all torn down by `stop()`.
export interface HubServer {
  hub: InvalidationHub
  server: Server
  url: string
  connect(headers?: Record<string, string>): Promise<SseStream>
  stop(): Promise<void>
}

export async function startHub(options: InvalidationHubOptions = {}, serverOptions: ServerOptions = {}): Promise<HubServer> {
  const hub = createInvalidationHub(options)
  const server = createServer(serverOptions, hub.handler)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', resolve)
  })
  const url = urlOf(server)
  const streams: SseStream[] = []
  return {
    hub,
    server,
    url,
    async connect(headers = {}) {
      const stream = await openStream(url, headers)
      streams.push(stream)
      return stream
    },
    async stop() {
      for (const stream of streams) stream.close()
      await hub.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
