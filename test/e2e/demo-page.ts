import type { BrowserContext, Page } from 'playwright-core'
import type { Arm } from '../../examples/ai-recommendations/types'

/** One `/api/recommendations` request the page sent, and how it was answered. */
export interface RecommendationRequest {
  segment: string
  user: string
  /** Undefined until the response arrives. */
  status: number | undefined
}

/** The lists the page shows: both arms, for the viewed user and for guests. */
export const shownLists = (user: string) =>
  [
    { arm: 'arm-a', user },
    { arm: 'arm-b', user },
    { arm: 'arm-a', user: 'guest' },
    { arm: 'arm-b', user: 'guest' },
  ] as const satisfies readonly { arm: Arm; user: string }[]

const waitMs = 10_000

/**
 * One tab of the demo, with a log of every recommendations request it sends
 * (counted in the browser, before any cache of the server's could answer).
 */
export class DemoPage {
  readonly requests: RecommendationRequest[] = []

  private constructor(readonly page: Page) {
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname !== '/api/recommendations') return
      const entry: RecommendationRequest = {
        segment: url.searchParams.get('segment') ?? '',
        user: url.searchParams.get('user') ?? '',
        status: undefined,
      }
      this.requests.push(entry)
      request.response().then(
        (response) => (entry.status = response?.status()),
        () => (entry.status = -1),
      )
    })
    // A page error is a demo bug: fail loudly in the test output.
    page.on('pageerror', (error) => console.error('page error:', error))
  }

  /** Opens the demo and waits until every list shows and invalidations can arrive. */
  static async open(context: BrowserContext, url: string): Promise<DemoPage> {
    const demo = new DemoPage(await context.newPage())
    await demo.page.goto(url)
    await demo.waitLoaded('ada')
    return demo
  }

  async waitLoaded(user: string): Promise<void> {
    for (const list of shownLists(user)) {
      await this.page.waitForSelector(`[data-testid="list-${list.arm}-${list.user}"]`, { timeout: waitMs })
    }
    // The tab holding the event stream waits for it to open; the others hear
    // the server through that tab.
    await this.waitFor(() => {
      const role = document.querySelector('[data-testid="stream-role"]')?.getAttribute('data-role')
      const state = document.querySelector('[data-testid="stream-state"]')?.textContent
      return role === 'follower' || (role === 'leader' && state === 'open')
    }, undefined)
    await this.settled()
  }

  /** Waits until the cache has no fetch running or queued. */
  async settled(): Promise<void> {
    await this.page.waitForFunction(
      () => {
        const stats = window.cachetDemo?.cache.stats()
        return stats !== undefined && stats.inFlight === 0 && stats.queued === 0
      },
      undefined,
      { timeout: waitMs, polling: 20 },
    )
  }

  /** A position in the request log, to count what happens after it. */
  mark(): number {
    return this.requests.length
  }

  since(mark: number): RecommendationRequest[] {
    return this.requests.slice(mark)
  }

  /** The product ids a list shows, in order. */
  async productIds(arm: Arm, user: string): Promise<number[]> {
    return this.page.$$eval(`[data-testid="list-${arm}-${user}"] li[data-product-id]`, (items) =>
      items.map((item) => Number(item.getAttribute('data-product-id'))),
    )
  }

  /** What the cache holds for one user's recommendations in one arm. */
  async entry(arm: Arm, user: string) {
    return this.page.evaluate(
      ([segment, name]) => {
        const entry = window.cachetDemo?.cache.get(['recommendations', { user: name }], segment)
        return entry && { updatedAt: entry.updatedAt, isStale: entry.isStale, modelVersion: entry.modelVersion, tags: entry.tags }
      },
      [arm, user] as const,
    )
  }

  /** 'leader' when this tab holds the event stream, 'follower' when another tab relays it. */
  async streamRole(): Promise<string | null> {
    return this.page.getAttribute('[data-testid="stream-role"]', 'data-role')
  }

  async click(testId: string): Promise<void> {
    // A tab in the background gets its animation frames throttled, which
    // slows playwright's actionability checks to a crawl: act in front, like a user.
    await this.page.bringToFront()
    await this.page.click(`[data-testid="${testId}"]`, { timeout: waitMs })
  }

  /** Waits until a page-side condition holds (a bounded wait, never a sleep). */
  async waitFor<A>(fn: (arg: A) => boolean, arg: A): Promise<void> {
    // `arg` is plain JSON, which reaches the page as it is; playwright's
    // generic "unboxing" type cannot see that for a generic A.
    await this.page.waitForFunction(fn as (arg: unknown) => boolean, arg as unknown, { timeout: waitMs, polling: 20 })
  }
}

/** Counts requests by `segment/user`, e.g. `{ 'arm-a/ada': 1 }`. */
export function countBy(requests: readonly RecommendationRequest[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const { segment, user } of requests) counts[`${segment}/${user}`] = (counts[`${segment}/${user}`] ?? 0) + 1
  return counts
}
