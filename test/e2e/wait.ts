/**
 * Polls `check` until it holds, or fails after `timeoutMs` saying what was
 * awaited. For conditions on the Node side (request logs, server stats);
 * conditions in the page use page.waitForFunction.
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
