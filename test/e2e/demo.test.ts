// @vitest-environment node
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll } from 'vitest'
import { buildPage, type PageBundle } from '../../examples/ai-recommendations/build'
import { startTestRedis, type TestRedis } from '../helpers/redis'
import { launchChromium } from './chromium'
import { demoSuite } from './demo-suite'

// The demo end to end, twice: with the in-memory hub, then with the hub on a
// real redis-server started here. One browser and one page bundle serve both.

let browser: Browser | undefined
let bundle: PageBundle | undefined
let redis: TestRedis | undefined

beforeAll(async () => {
  // Each part is kept as it starts: if another fails, afterAll still stops it.
  await Promise.all([
    buildPage().then((built) => (bundle = built)),
    launchChromium().then((launched) => (browser = launched)),
    startTestRedis().then((started) => (redis = started)),
  ])
})

afterAll(async () => {
  await browser?.close()
  await redis?.stop()
})

const shared = {
  browser: () => required(browser, 'browser'),
  bundle: () => required(bundle, 'page bundle'),
}

// The screenshot comes from the memory run; UPDATE_SCREENSHOT=1 refreshes it.
demoSuite('memory', { ...shared, redisUrl: () => undefined, screenshot: process.env.UPDATE_SCREENSHOT === '1' })
demoSuite('redis', { ...shared, redisUrl: () => required(redis, 'redis-server').url, screenshot: false })

function required<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`e2e setup did not provide the ${what}`)
  return value
}
