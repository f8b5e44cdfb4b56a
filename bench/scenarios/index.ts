import { broadInvalidate } from './broad-invalidate'
import { dedupMount } from './dedup-mount'
import { manyKeys } from './many-keys'
import { memory } from './memory'
import { targetedInvalidate } from './targeted-invalidate'
import type { Scenario } from './types'
import { updateFanout } from './update-fanout'

/** In the order of the issue; the bundle scenario is built separately (bench/bundle.ts). */
export const scenarios: readonly Scenario[] = [
  dedupMount,
  manyKeys,
  targetedInvalidate,
  broadInvalidate,
  updateFanout,
  memory,
]
