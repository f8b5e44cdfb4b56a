import { defineConfig } from 'vitest/config'

// One `npm test` runs every suite. Unit tests use jsdom or node per file
// (`// @vitest-environment node`); suites that start real servers (Redis,
// the demo, Chromium) start and stop them in their own setup. The React
// suites run a second time on React 18 (vitest.react18.config.ts): cachet
// supports React 18 and newer.
export default defineConfig({
  test: {
    testTimeout: 20_000,
    hookTimeout: 120_000,
    restoreMocks: true,
    projects: [
      {
        extends: true,
        test: {
          name: 'all',
          environment: 'jsdom',
          include: ['test/**/*.test.{ts,tsx}'],
        },
      },
      './vitest.react18.config.ts',
    ],
  },
})
