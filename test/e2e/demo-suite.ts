import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import type { Browser, BrowserContext } from 'playwright-core'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { PageBundle } from '../../examples/ai-recommendations/build'
import { startDemoServer, type DemoServer } from '../../examples/ai-recommendations/server'
import type { Arm } from '../../examples/ai-recommendations/types'
import { countBy, DemoPage, shownLists } from './demo-page'
import { until } from './wait'

export interface SuiteSetup {
  /** The launched browser, shared by the file. */
  browser(): Browser
  /** The bundled page, built once for the file. */
  bundle(): PageBundle
  /** Where the hub keeps events: memory, or a real redis-server the setup started. */
  redisUrl(): string | undefined
  /** Writes docs/demo.png (the README's screenshot) from this run. */
  screenshot: boolean
}

const screenshotPath = new URL('../../docs/demo.png', import.meta.url)

/**
 * The demo's end-to-end checks, against the real server and a real browser.
 * Every test starts from a reset server and a fresh browser context (its own
 * BroadcastChannel world), and counts the recommendation requests each tab sends.
 */
export function demoSuite(name: string, setup: SuiteSetup): void {
  // A browser test does several model round trips (350 ms each) and page
  // loads; on a busy two-core CI machine that can pass vitest's 20 s default.
  describe(`demo in chromium (${name} hub)`, { timeout: 45_000 }, () => {
    let server: DemoServer
    let context: BrowserContext
    let tab: DemoPage

    beforeAll(async () => {
      server = await startDemoServer({ bundle: setup.bundle(), redisUrl: setup.redisUrl() })
      expect(server.store).toBe(setup.redisUrl() ? 'redis' : 'memory')
    })

    afterAll(async () => {
      await server?.close()
    })

    beforeEach(async () => {
      const reset = await fetch(`${server.url}/api/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
      expect(reset.status).toBe(200)
      context = await setup.browser().newContext({ viewport: { width: 1440, height: 1000 } })
      tab = await DemoPage.open(context, server.url)
    })

    afterEach(async () => {
      await context?.close()
    })

    it('several components share one query: one request per list', async () => {
      // TopPick, PickCount and the list all read ada's recommendations in each
      // arm (under StrictMode's double mount): still one request each.
      expect(countBy(tab.requests)).toEqual({ 'arm-a/ada': 1, 'arm-b/ada': 1, 'arm-a/guest': 1, 'arm-b/guest': 1 })
      expect(server.stats().recommendationsBySegment).toEqual({ 'arm-a': 2, 'arm-b': 2 })
      expect(await tab.page.textContent('[data-testid="top-pick-arm-a"]')).toContain('Top pick for ada')
      const stats = await tab.page.evaluate(() => window.cachetDemo?.cache.stats())
      expect(stats?.fetches).toBe(5) // four lists and the catalog

      // Switching to a user and back: the first visit asks, the return is a hit.
      await tab.page.selectOption('[data-testid="user-select"]', 'grace')
      await tab.waitLoaded('grace')
      const mark = tab.mark()
      await tab.page.selectOption('[data-testid="user-select"]', 'ada')
      await tab.waitLoaded('ada')
      expect(tab.since(mark)).toEqual([])

      if (setup.screenshot || !existsSync(screenshotPath)) {
        // The panel catches up with the cache on its next tick.
        await tab.waitFor(() => {
          const stats = window.cachetDemo?.cache.stats()
          const shown = (id: string) => document.querySelector(`[data-testid="stat-${id}"]`)?.textContent
          return stats !== undefined && shown('hits') === String(stats.hits) && shown('fetches') === String(stats.fetches)
        }, undefined)
        await mkdir(new URL('.', screenshotPath), { recursive: true })
        await writeFile(screenshotPath, await tab.page.screenshot({ fullPage: true }))
      }
    })

    it('out of stock: refetches only the lists that show the product, and it disappears', async () => {
      const { product, list } = await productInExactlyOneList(tab)
      const mark = tab.mark()
      await tab.click(`stock-${product}`)
      await tab.waitFor(
        ({ arm, user, id }) => {
          const shown = document.querySelector(`[data-testid="list-${arm}-${user}"]`)
          return shown !== null && shown.querySelector(`[data-product-id="${id}"]`) === null
        },
        { arm: list.arm, user: list.user, id: product },
      )
      await tab.settled()
      expect(countBy(tab.since(mark))).toEqual({ [`${list.arm}/${list.user}`]: 1 })
      for (const other of shownLists('ada')) expect(await tab.productIds(other.arm, other.user)).not.toContain(product)
      expect(await tab.productIds(list.arm, list.user)).toHaveLength(4)
      expect(await tab.page.textContent(`[data-testid="stock-${product}"]`)).toBe('Out of stock')
    })

    it('a price edit refreshes the lists that show the product, with the new price', async () => {
      const { product, list } = await productInExactlyOneList(tab)
      const mark = tab.mark()
      await tab.page.fill(`[data-testid="price-input-${product}"]`, '1.23')
      await tab.click(`price-save-${product}`)
      await tab.waitFor(
        ({ arm, user, id }) =>
          document.querySelector(`[data-testid="list-${arm}-${user}"] [data-product-id="${id}"]`)?.textContent?.includes('$1.23') ===
          true,
        { arm: list.arm, user: list.user, id: product },
      )
      await tab.settled()
      expect(countBy(tab.since(mark))).toEqual({ [`${list.arm}/${list.user}`]: 1 })
    })

    it('busting arm B on the server leaves arm A untouched', async () => {
      const before = await entriesOf(tab, 'arm-a')
      const beforeB = await entriesOf(tab, 'arm-b')
      const domA = await tab.page.innerHTML('[data-testid="lists-arm-a"]')
      const mark = tab.mark()
      await tab.click('bust-arm-b')
      await until('both arm B lists to be revalidated', () => tab.since(mark).filter((r) => r.status !== undefined).length >= 2)
      await tab.settled()
      await tab.waitFor(
        (stamps) =>
          stamps.every(({ user, updatedAt }) => {
            const entry = window.cachetDemo?.cache.get(['recommendations', { user }], 'arm-b')
            return entry !== undefined && entry.updatedAt > updatedAt && !entry.isStale
          }),
        beforeB.map((entry) => ({ user: entry.user, updatedAt: entry.updatedAt })),
      )
      const requests = tab.since(mark)
      expect(countBy(requests)).toEqual({ 'arm-b/ada': 1, 'arm-b/guest': 1 })
      // Nothing changed on the server, so the revalidations were cheap 304s.
      expect(requests.map((r) => r.status)).toEqual([304, 304])
      expect(await entriesOf(tab, 'arm-a')).toEqual(before)
      expect(await tab.page.innerHTML('[data-testid="lists-arm-a"]')).toBe(domA)
    })

    it('an immediate model switch refetches every active list; a lazy one refetches nothing', async () => {
      let mark = tab.mark()
      await tab.page.selectOption('[data-testid="model-select"]', 'r2')
      await tab.click('model-switch-immediate')
      await tab.waitFor(
        (lists) => lists.every(({ arm, user }) => document.querySelector(`[data-testid="list-${arm}-${user}"]`)?.getAttribute('data-model-version') === 'r2'),
        shownLists('ada'),
      )
      await tab.settled()
      expect(countBy(tab.since(mark))).toEqual({ 'arm-a/ada': 1, 'arm-b/ada': 1, 'arm-a/guest': 1, 'arm-b/guest': 1 })
      for (const list of shownLists('ada')) expect((await tab.entry(list.arm, list.user))?.modelVersion).toBe('r2')

      mark = tab.mark()
      await tab.page.selectOption('[data-testid="model-select"]', 'r3')
      await tab.click('model-switch-lazy')
      await tab.page.waitForSelector('[data-testid="model-current"]:text-is("recommender r3")', { timeout: 10_000 })
      await tab.settled()
      expect(tab.since(mark)).toEqual([])
      for (const list of shownLists('ada')) {
        const entry = await tab.entry(list.arm, list.user)
        expect(entry?.modelVersion).toBe('r2')
        expect(entry?.isStale).toBe(false)
      }

      // The lazy version applies to the next fetch: revalidating arm A gets r3 answers.
      mark = tab.mark()
      await tab.click('revalidate-arm-a')
      await tab.waitFor(
        () => document.querySelector('[data-testid="list-arm-a-ada"]')?.getAttribute('data-model-version') === 'r3',
        undefined,
      )
      await tab.settled()
      expect(countBy(tab.since(mark))).toEqual({ 'arm-a/ada': 1, 'arm-a/guest': 1 })
      expect((await tab.entry('arm-a', 'guest'))?.modelVersion).toBe('r3')
      expect((await tab.entry('arm-b', 'ada'))?.modelVersion).toBe('r2')
    })

    it('a 304 revalidation leaves the DOM unchanged', async () => {
      await tab.page.evaluate(() => {
        const lists = document.querySelector('[data-testid="lists-arm-a"]')
        if (!lists) throw new Error('no arm A lists')
        const record = window as unknown as { mutations: number }
        record.mutations = 0
        new MutationObserver((changes) => (record.mutations += changes.length)).observe(lists, {
          subtree: true,
          childList: true,
          attributes: true,
          characterData: true,
        })
      })
      const html = await tab.page.innerHTML('[data-testid="lists-arm-a"]')
      const before = await entriesOf(tab, 'arm-a')
      const mark = tab.mark()
      await tab.click('revalidate-arm-a')
      await until('both arm A revalidations to be answered', () => tab.since(mark).filter((r) => r.status !== undefined).length >= 2)
      await tab.settled()
      const requests = tab.since(mark)
      expect(countBy(requests)).toEqual({ 'arm-a/ada': 1, 'arm-a/guest': 1 })
      expect(requests.map((r) => r.status)).toEqual([304, 304])
      const after = await entriesOf(tab, 'arm-a')
      for (const [i, entry] of after.entries()) {
        expect(entry.updatedAt).toBeGreaterThan(before[i]?.updatedAt ?? Infinity) // refreshed …
        expect(entry.isStale).toBe(false)
      }
      expect(await tab.page.evaluate(() => (window as unknown as { mutations: number }).mutations)).toBe(0) // … silently
      expect(await tab.page.innerHTML('[data-testid="lists-arm-a"]')).toBe(html)
      expect(await tab.page.textContent('[data-testid="stat-not-modified"]')).toBe('2')
    })

    it('a second tab follows the first', async () => {
      const second = await DemoPage.open(context, server.url)
      expect(countBy(second.requests)).toEqual({ 'arm-a/ada': 1, 'arm-b/ada': 1, 'arm-a/guest': 1, 'arm-b/guest': 1 })
      // One event stream per browser: the first tab's, relayed to the second.
      expect(await tab.streamRole()).toBe('leader')
      expect(await second.streamRole()).toBe('follower')

      // A local invalidation in the first tab crosses over BroadcastChannel.
      let mark = second.mark()
      await tab.click('revalidate-arm-b')
      await until('the second tab to revalidate arm B', () => second.since(mark).filter((r) => r.status !== undefined).length >= 2)
      await second.settled()
      expect(countBy(second.since(mark))).toEqual({ 'arm-b/ada': 1, 'arm-b/guest': 1 })

      // A product change made in the first tab disappears from the second.
      const { product, list } = await productInExactlyOneList(tab)
      mark = second.mark()
      await tab.click(`stock-${product}`)
      await second.waitFor(
        ({ arm, user, id }) => {
          const shown = document.querySelector(`[data-testid="list-${arm}-${user}"]`)
          return shown !== null && shown.querySelector(`[data-product-id="${id}"]`) === null
        },
        { arm: list.arm, user: list.user, id: product },
      )
      await second.settled()
      await second.page.waitForSelector(`[data-testid="stock-${product}"]:text-is("Out of stock")`, { timeout: 10_000 })
      // Only the list that showed it was refetched in the second tab too, once.
      expect(countBy(second.since(mark))).toEqual({ [`${list.arm}/${list.user}`]: 1 })
      for (const other of shownLists('ada')) expect(await second.productIds(other.arm, other.user)).not.toContain(product)

      // A model switch from the first tab: the second refetches its lists once each.
      mark = second.mark()
      await tab.page.selectOption('[data-testid="model-select"]', 'r2')
      await tab.click('model-switch-immediate')
      await second.waitFor(
        (lists) => lists.every(({ arm, user }) => document.querySelector(`[data-testid="list-${arm}-${user}"]`)?.getAttribute('data-model-version') === 'r2'),
        shownLists('ada'),
      )
      await second.settled()
      expect(countBy(second.since(mark))).toEqual({ 'arm-a/ada': 1, 'arm-b/ada': 1, 'arm-a/guest': 1, 'arm-b/guest': 1 })
    })
  })
}

/** Finds a product that exactly one of the page's lists shows, and that list. */
async function productInExactlyOneList(tab: DemoPage) {
  const shown = await Promise.all(
    shownLists('ada').map(async (list) => ({ list, ids: await tab.productIds(list.arm, list.user) })),
  )
  for (const { list, ids } of shown) {
    for (const product of ids) {
      if (shown.filter((other) => other.ids.includes(product)).length === 1) return { product, list }
    }
  }
  throw new Error(`every shown product is in more than one list: ${JSON.stringify(shown)}`)
}

async function entriesOf(tab: DemoPage, arm: Arm) {
  return Promise.all(
    ['ada', 'guest'].map(async (user) => {
      const entry = await tab.entry(arm, user)
      if (!entry) throw new Error(`no cache entry for ${user} in ${arm}`)
      return { user, ...entry }
    }),
  )
}
