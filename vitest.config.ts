import { defineConfig } from 'vitest/config'

// One `npm test` runs every suite. Unit tests use jsdom or node per file
// (`// @vitest-environment node`); suites that start real servers (Redis,
// the demo, Chromium) start and stop them in their own setup.
export default defineConfig({
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 20_000,
    hookTimeout: 120_000,
    restoreMocks: true,
  },
})
