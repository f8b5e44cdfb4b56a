// @types/jsdom is not installed; the bench uses only this much of it.
declare module 'jsdom' {
  export class JSDOM {
    constructor(html?: string, options?: { pretendToBeVisual?: boolean; url?: string })
    readonly window: Window & typeof globalThis
  }
}
