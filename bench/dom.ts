import { JSDOM } from 'jsdom'

/**
 * Puts a jsdom window on globalThis. Must run before React loads: react-dom
 * decides at import time whether it has a DOM to render into.
 */
export function installDom(): JSDOM {
  // Once per process: the launcher installs it before the bundled bench (and
  // the libraries, which look for a window when they load) is imported.
  const installed = (globalThis as { benchDom?: JSDOM }).benchDom
  if (installed) return installed
  const dom = new JSDOM('<!doctype html><html><body><div id="root"></div></body></html>', {
    pretendToBeVisual: true, // gives document.visibilityState 'visible', which focus handlers read
    url: 'http://localhost/',
  })
  const { window } = dom
  const g = globalThis as Record<string, unknown>
  // Only what React and the three libraries touch; Node's own fetch,
  // AbortController, MessageChannel and timers stay in place.
  const names = [
    'window', 'document', 'navigator', 'Node', 'Element', 'HTMLElement', 'Text', 'Event',
    'EventTarget', 'FocusEvent', 'MutationObserver', 'getComputedStyle', 'requestAnimationFrame',
    'cancelAnimationFrame', 'HTMLIFrameElement', 'DocumentFragment', 'Comment',
  ] as const
  for (const name of names) {
    const value = (window as unknown as Record<string, unknown>)[name]
    if (value === undefined) continue
    Object.defineProperty(g, name, {
      value: typeof value === 'function' && name.match(/^[a-z]/) ? value.bind(window) : value,
      configurable: true,
      writable: true,
    })
  }
  Object.defineProperty(g, 'benchDom', { value: dom, configurable: true })
  return dom
}

/** Simulates the user coming back to the tab, the way browsers signal it. */
export function fireFocus(): void {
  window.dispatchEvent(new window.Event('visibilitychange'))
  document.dispatchEvent(new window.Event('visibilitychange'))
  window.dispatchEvent(new window.FocusEvent('focus'))
}
