/**
 * `npm run check:dist` (after `npm run build`): proves the browser entry never
 * pulls in the Node-only server. Bundles everything `cachet` exports, ESM and
 * CJS, for the browser, and fails if an input comes from the server build,
 * a Node built-in or ioredis. size-limit checks the byte budgets; this
 * checks what the bytes are made of.
 */
import { build } from 'esbuild'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const forbidden = [/(^|\/)dist\/server\//, /(^|\/)src\/server\//, /(^|\/)node_modules\/ioredis\//, /^node:/]

let failed = false
for (const file of ['dist/index.js', 'dist/index.cjs']) {
  try {
    const result = await build({
      stdin: { contents: `export * from ${JSON.stringify(`./${file}`)}`, resolveDir: root, loader: 'js' },
      bundle: true,
      write: false,
      metafile: true,
      platform: 'browser', // a Node built-in import fails to resolve here
      format: 'esm',
      logLevel: 'silent',
      external: ['react', 'react-dom'],
    })
    const leaks = Object.keys(result.metafile.inputs).filter((input) => forbidden.some((re) => re.test(input)))
    if (leaks.length > 0) {
      failed = true
      console.error(`${file}: the browser bundle includes server-side code: ${leaks.join(', ')}`)
    } else {
      console.log(`${file}: browser bundle is free of server code (${Object.keys(result.metafile.inputs).length} inputs)`)
    }
  } catch (error) {
    failed = true
    console.error(`${file}: does not bundle for the browser: ${error instanceof Error ? error.message : String(error)}`)
  }
}
process.exit(failed ? 1 : 0)
