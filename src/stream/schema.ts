import * as z from 'zod/mini'

// One schema for both ends: the browser client validates what it receives,
// the hub (`cachet/server`) validates what it is asked to publish.
// zod/mini keeps the browser bundle small; its schemas have safeParse/parse.

const key = z.array(z.unknown())
const segment = z.string()
const nonEmpty = z.string().check(z.minLength(1))

const invalidate = z
  .object({
    type: z.literal('invalidate'),
    key: z.optional(key),
    exact: z.optional(z.boolean()),
    tags: z.optional(z.array(z.string())),
    segment: z.optional(segment),
    model: z.optional(nonEmpty),
    modelVersion: z.optional(z.string()),
    all: z.optional(z.literal(true)),
    mode: z.optional(z.enum(['stale', 'remove'])),
  })
  .check(
    // An empty invalidation must never wipe a cache by accident: "everything"
    // has to be said explicitly with `all: true`.
    z.refine(
      (m) =>
        m.all === true ||
        m.key !== undefined ||
        m.tags !== undefined ||
        m.segment !== undefined ||
        m.model !== undefined ||
        m.modelVersion !== undefined,
      { message: 'an invalidate message names at least one of key, tags, segment, model, modelVersion, or says all: true' },
    ),
  )

const modelVersion = z.object({
  type: z.literal('model-version'),
  model: nonEmpty,
  version: nonEmpty,
  policy: z.optional(z.enum(['immediate', 'lazy'])),
})

const set = z.object({
  type: z.literal('set'),
  key,
  segment: z.optional(segment),
  data: z.unknown(),
  etag: z.optional(z.string()),
  tags: z.optional(z.array(z.string())),
  model: z.optional(nonEmpty),
})

const sync = z.object({
  type: z.literal('sync'),
  replay: z.enum(['complete', 'unavailable', 'none']),
})

/** The zod schema of one server-sent invalidation message (the `data` of an SSE event). */
export const invalidationMessage = z.discriminatedUnion('type', [invalidate, modelVersion, set, sync])

/** One server-sent invalidation message. */
export type InvalidationMessage = z.infer<typeof invalidationMessage>

/** The message types a client understands. */
export const messageTypes: readonly InvalidationMessage['type'][] = ['invalidate', 'model-version', 'set', 'sync']

export type ParseResult =
  | { ok: true; message: InvalidationMessage }
  | { ok: false; reason: string }

/**
 * Parses one message from JSON text or an already-parsed value, and says why
 * it is rejected in words that name the failing path (`tags[1]: expected string`).
 */
export function parseInvalidationMessage(input: unknown, fromText = typeof input === 'string'): ParseResult {
  let value: unknown = input
  if (fromText) {
    try {
      value = JSON.parse(input as string)
    } catch (error) {
      return { ok: false, reason: `not JSON (${(error as Error).message})` }
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'expected a JSON object' }
  }
  const type = (value as { type?: unknown }).type
  if (typeof type !== 'string' || !(messageTypes as readonly string[]).includes(type)) {
    return { ok: false, reason: `unknown type ${JSON.stringify(type) ?? 'undefined'} (expected one of ${messageTypes.join(', ')})` }
  }
  const result = invalidationMessage.safeParse(value)
  if (result.success) return { ok: true, message: result.data }
  return { ok: false, reason: describeIssues(result.error.issues) }
}

interface Issue {
  path: readonly PropertyKey[]
  message: string
  code?: string
  expected?: string
  values?: readonly unknown[]
}

// zod/mini ships no locale (that keeps it small), so its messages say only
// "Invalid input"; say what was expected from the issue's own fields.
function describeIssue(issue: Issue): string {
  if (issue.code === 'invalid_type' && issue.expected) return `expected ${issue.expected}`
  if (issue.code === 'invalid_value' && issue.values) {
    return `expected ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`
  }
  if (issue.code === 'too_small') return 'must not be empty'
  return issue.message
}

/** The issues as `path: reason`; with `ownMessages`, each issue's own message (a schema with a locale: an app's). */
export function describeIssues(issues: readonly Issue[], ownMessages?: boolean): string {
  return issues
    .map((issue) => {
      const path = formatPath(issue.path)
      const reason = ownMessages ? issue.message : describeIssue(issue)
      return path ? `${path}: ${reason}` : reason
    })
    .join('; ')
}

// Like core/key's formatPath, on purpose not imported: a module this file shares
// with the browser entry would land in the same build chunk as this schema's
// module-level zod calls and pull zod into every app (15.4 kB instead of 8.4).
function formatPath(path: readonly PropertyKey[]): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part)
  return out
}
