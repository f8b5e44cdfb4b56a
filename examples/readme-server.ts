// The README's Node example, as written there except for the import: an app
// imports from 'cachet/server'; this file imports the source entry, so
// test/server/readme-server.test.ts runs exactly this code.
import http from 'node:http'
import { createInvalidationHub, memoryStore, redisStore } from '../src/server/index'

const hub = createInvalidationHub({ store: process.env.REDIS_URL ? redisStore({ url: process.env.REDIS_URL }) : memoryStore() })
const port = Number(process.env.PORT ?? 8080)

http.createServer((req, res) => {
  if (req.url?.startsWith('/api/events')) return hub.handler(req, res) // the browser: connectInvalidations(cache, { url: '/api/events' })
  if (req.method !== 'POST' || req.url !== '/api/products/42/sold-out') return void res.writeHead(404).end()
  // After your own write (the stock update): every browser drops the answers that list product 42.
  hub.publish({ type: 'invalidate', tags: ['product:42'], mode: 'remove' })
    .then((id) => res.end(id), (error: Error) => res.writeHead(503).end(error.message))
}).listen(port, '127.0.0.1', () => console.log(`invalidation events at http://127.0.0.1:${port}/api/events`))
