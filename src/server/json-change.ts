// Server-only on purpose: importing the browser cache's key rule (core/key)
// here would share a build chunk between the two entries and pull zod into
// the browser's main bundle.

/**
 * Where JSON would not carry `value` as it is, as `path: what`, or undefined
 * when it would. JSON turns `undefined` and NaN in an array into null, a Date
 * into a string, a Map into `{}`. `undefined` object fields are left out, as
 * JSON and the browser's cache both do. `value` has been through
 * JSON.stringify already, so it holds no cycle and no BigInt.
 */
export function jsonChange(value: unknown, path: string): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined
    case 'number':
      return Number.isFinite(value) ? undefined : `${path}: ${value} does not survive JSON`
    case 'object': {
      if (value === null) return undefined
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          const change = jsonChange(value[i], `${path}[${i}]`)
          if (change) return change
        }
        return undefined
      }
      const proto: unknown = Object.getPrototypeOf(value)
      if (proto !== Object.prototype && proto !== null) {
        const name = (proto as { constructor?: { name?: string } }).constructor?.name || 'an object'
        return `${path}: ${name} does not survive JSON`
      }
      for (const [field, item] of Object.entries(value)) {
        const change = item === undefined ? undefined : jsonChange(item, `${path}.${field}`)
        if (change) return change
      }
      return undefined
    }
    default:
      return `${path}: ${typeof value} does not survive JSON`
  }
}
