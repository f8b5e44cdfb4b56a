// `npm run demo`: builds the page, starts the demo server on 127.0.0.1 and
// prints its URL. PORT picks the port (default 5173; a free one if taken),
// REDIS_URL switches the invalidation hub from memory to Redis Streams.
import { buildPage, type PageBundle } from './build'
import { startDemoServer, type DemoServer } from './server'

const preferredPort = Number(process.env.PORT ?? 5173)
const redisUrl = process.env.REDIS_URL || undefined

async function main(): Promise<void> {
  const started = Date.now()
  const bundle = await buildPage()
  const server = await listen(bundle)
  console.log(`cachet demo (${server.store} hub) ready in ${Date.now() - started} ms: ${server.url}`)
  console.log('Open it in two tabs; press Ctrl+C to stop.')
  const stop = () => {
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function listen(bundle: PageBundle): Promise<DemoServer> {
  try {
    return await startDemoServer({ port: preferredPort, redisUrl, bundle })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error
    console.log(`port ${preferredPort} is taken; using a free one`)
    return startDemoServer({ port: 0, redisUrl, bundle })
  }
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
