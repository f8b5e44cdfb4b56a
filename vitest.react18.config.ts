import { createRequire } from 'node:module'
import { defineProject } from 'vitest/config'

// The React suites again, on React 18: `react` and `react-dom` resolve to the
// copies that the `test/react18` workspace installs (npm puts them in
// test/react18/node_modules, as the root has React 19). Part of `npm test`
// (a project of vitest.config.ts); alone: `npx vitest run --project react18`.
const react18 = createRequire(new URL('./test/react18/package.json', import.meta.url))
const root = createRequire(import.meta.url)
const entries = ['react', 'react/jsx-runtime', 'react/jsx-dev-runtime', 'react-dom', 'react-dom/client', 'react-dom/server', 'react-dom/test-utils']

export default defineProject({
  resolve: {
    alias: [
      ...entries.map((entry) => ({
        find: new RegExp(`^${entry.replace('/', '\\/')}$`),
        replacement: react18.resolve(entry),
      })),
      // Testing Library's ES module (its `main` is CommonJS, whose require()
      // calls Vite never sees), inlined below so that its imports take the aliases.
      {
        find: /^@testing-library\/react$/,
        replacement: root.resolve('@testing-library/react').replace(/index\.js$/, '@testing-library/react.esm.js'),
      },
    ],
  },
  test: {
    name: 'react18',
    environment: 'jsdom',
    include: ['test/react/**/*.test.{ts,tsx}', 'test/stream/use-invalidation-stream.test.tsx'],
    // <Activity> is React 19.2's; on 18 the core test (stats-remount) covers the observer.
    exclude: ['test/react/activity.test.tsx'],
    setupFiles: ['test/react18/setup.ts'],
    // Through Vite, so its own imports of react and react-dom take the aliases
    // (left to Node, it would load the root's React 19).
    server: { deps: { inline: ['@testing-library/react'] } },
    testTimeout: 20_000,
    restoreMocks: true,
  },
})
