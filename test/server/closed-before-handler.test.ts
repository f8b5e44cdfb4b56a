// @vitest-environment node
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createInvalidationHub } from '../../src/server'
import { deferred } from '../helpers/deferred'

// Express-style async middleware (a session lookup) runs before hub.handler.
// A browser that leaves while it runs has its response closed before the hub
// ever sees it: the hub must not register that response as a connection
// (it would be written to forever, and hold the heartbeat timer).

afterEach(() => {
  vi.useRealTimers()
})

describe('hub.handler called for a response that has already closed', () => {
  it('opens no connection and starts no heartbeat', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const hub = createInvalidationHub({ heartbeatMs: 1_000 })
    const middlewareEntered = deferred<void>()
    const middlewareGo = deferred<void>()
    const closedOnServer = deferred<void>()
    const handled = deferred<ServerResponse>()
    const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
      res.once('close', () => closedOnServer.resolve())
      middlewareEntered.resolve()
      await middlewareGo.promise // e.g. await session lookup
      hub.handler(req, res)
      handled.resolve(res)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const { port } = server.address() as AddressInfo
      const request = get(`http://127.0.0.1:${port}/events`)
      request.on('error', () => {})
      await middlewareEntered.promise
      request.destroy()
      await closedOnServer.promise
      middlewareGo.resolve()
      const res = await handled.promise
      const writes = vi.spyOn(res, 'write')
      // Let authorize (default: sync) and the store head read settle.
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(vi.getTimerCount()).toBe(0) // no heartbeat held for a gone client
      await hub.publish({ type: 'invalidate', tags: ['x'] })
      expect(writes).not.toHaveBeenCalled() // nothing written to the dead response
    } finally {
      await hub.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  })
})
