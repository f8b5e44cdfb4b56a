import { backendCalls } from './backend-calls'
import { broadInvalidate } from './broad-invalidate'
import { dedupMount } from './dedup-mount'
import { manyKeys } from './many-keys'
import { memory } from './memory'
import { targetedInvalidate } from './targeted-invalidate'
import type { Scenario } from './types'
import { updateFanout } from './update-fanout'

/** In the order of the issue; the bundle (7) is built separately, in bench/bundle.ts. */
export const scenarios: readonly Scenario[] = [
  dedupMount,
  manyKeys,
  targetedInvalidate,
  broadInvalidate,
  updateFanout,
  memory,
  backendCalls,
]
