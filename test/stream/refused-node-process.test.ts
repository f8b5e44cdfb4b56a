// @vitest-environment node
import { expect, it } from 'vitest'
import { runNodeScript } from '../helpers/node-script'

// A Node process that only listens to a hub (a worker keeping a server-side
// cache current, a watch script) is kept alive by its open EventSource. When
// that source gives up (the hub answers 503 while it restarts in a deploy),
// the connection opens a replacement after a backoff: until then its timer is
// all that is left, and it must keep the process alive, or the process ends
// silently with exit code 0 at the hub's first restart.

it('a Node process whose only stream gave up stays alive for the replacement', async () => {
  const run = await runNodeScript(
    [
      "import { createCache } from './src/core/cache.ts'",
      "import { connectInvalidations } from './src/stream/connect.ts'",
      "import { fakeEventSourceImpl } from './test/helpers/fake-event-source.ts'",
      'const { impl, instances } = fakeEventSourceImpl()',
      'class Watched extends impl {',
      '  constructor(url, init) {',
      '    super(url, init)',
      "    if (instances.length === 2) { console.log('replacement opened'); queueMicrotask(() => connection.close()) }",
      '  }',
      '}',
      "const connection = connectInvalidations(createCache(), { url: 'https://hub.test/events', eventSourceImpl: Watched })",
      "instances[0].fail('Non-200 status code (503)')",
      "process.on('exit', (code) => console.log(`exit ${code}, ${instances.length} sources`))",
    ],
    10_000,
  )
  expect(run.exited, run.stillRunning).toBe(true)
  expect(run.output).toContain('replacement opened')
  expect(run.output).toContain('exit 0, 2 sources')
})
