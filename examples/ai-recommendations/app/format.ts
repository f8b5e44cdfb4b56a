export function formatPrice(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`
}

/** "3.2 s", "2 min": how long ago something happened. */
export function formatAge(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  return `${Math.floor(ms / 60_000)} min`
}
