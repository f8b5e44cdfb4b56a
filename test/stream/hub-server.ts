import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

/** A hub's handler behind a real http server on 127.0.0.1, whose open streams a test can cut. */
export interface HubHttpServer {
  /** Where the client connects: the server's /events. */
  readonly url: string
  /** Cuts every open stream, as a proxy or a network drop would; the hub keeps running. */
  dropStreams(): void
  /** Cuts every open stream and closes the server. */
  close(): Promise<void>
}

export async function serveHub(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<HubHttpServer> {
  const server = createServer(handler)
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const dropStreams = () => {
    for (const socket of sockets) socket.destroy()
  }
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    dropStreams,
    async close() {
      dropStreams()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
