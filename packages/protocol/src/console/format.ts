/**
 * How both consoles show times and long hex values, so an auditor reads the same form on the
 * node and on the coordinator. Values still pass through hono/jsx escaping when rendered.
 */

/** `2026-03-01 12:00:05 UTC` from an ISO timestamp (seconds are enough on screen); `-` for none. */
export function formatUtc(iso: string | null | undefined): string {
  if (!iso) return '-';
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/** The first `n` characters of a hex key, hash or pseudonym and an ellipsis; `-` for none. */
export function shortHex(hex: string | null | undefined, n = 16): string {
  if (!hex) return '-';
  return hex.length > n ? `${hex.slice(0, n)}…` : hex;
}
