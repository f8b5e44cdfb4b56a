// `npm run bench` runs the bench bundled by esbuild (bench/.run.mjs), not
// through tsx: tsx keeps function names by wrapping every named closure in a
// helper call, a cost paid on each render by adapters that pass an inline
// `fetcher:` or `queryFn:` and by none that pass a bare argument, which skews
// the comparison. A bundle hoists its package imports above its own code, so
// what must precede the libraries happens here, before the bundle loads:
// React's build is chosen, and the DOM is installed (react-dom, SWR and
// TanStack Query each decide at import time whether they run in a browser).
process.env.NODE_ENV = process.argv.includes('--dev') ? 'development' : 'production'
const { installDom } = await import('./.dom.mjs')
installDom()
// `--entry profile` runs bench/.profile.mjs (npm run bench:profile) instead of the bench.
const at = process.argv.indexOf('--entry')
await import(at >= 0 ? `./.${process.argv[at + 1]}.mjs` : './.run.mjs')
