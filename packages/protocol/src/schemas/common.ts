import { z } from 'zod';

export const PURPOSES = ['analytics', 'model_training', 'marketing'] as const;
export const PurposeSchema = z.enum(PURPOSES);
export type Purpose = z.infer<typeof PurposeSchema>;

/** ISO calendar date, YYYY-MM-DD, checked to be a real day. */
export const IsoDateSchema = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a date as YYYY-MM-DD')
  .refine(
    (s) =>
      !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) &&
      new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    'not a real calendar date'
  );

/** Hex-encoded SHA-256. */
export const Hash256Schema = z
  .string()
  .regex(/^[0-9a-f]{64}$/, 'expected 64 lower-case hex characters');

/** Identifiers that travel on the wire: short, printable, no separators that could confuse a path. */
export const IdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, 'expected letters, digits, . _ : -');

/**
 * Epsilon as a positive decimal with at most 6 fractional digits. Budgets are stored in
 * micro-epsilon integers so composition is exact (no float sums: docs/privacy.md "Budgets").
 */
export const EpsilonSchema = z
  .number()
  .positive('epsilon must be positive')
  .max(100, 'epsilon above 100 gives no meaningful privacy')
  .refine(
    (e) => Math.abs(e * 1e6 - Math.round(e * 1e6)) < 1e-6,
    'epsilon may have at most 6 decimal places'
  );

export const MICRO = 1_000_000;

export function epsilonToMicro(epsilon: number): number {
  return Math.round(epsilon * MICRO);
}

export function microToEpsilon(micro: number): number {
  return micro / MICRO;
}

/** Micro-epsilon as an exact decimal: 300000 -> '0.3', 4000000 -> '4', 1 -> '0.000001'. */
export function formatEpsilonMicro(micro: number): string {
  if (!Number.isSafeInteger(micro))
    throw new RangeError(`"micro" expected a safe integer, got ${micro}`);
  const sign = micro < 0 ? '-' : '';
  const abs = Math.abs(micro);
  const whole = Math.floor(abs / 1_000_000);
  const frac = String(abs % 1_000_000)
    .padStart(6, '0')
    .replace(/0+$/, '');
  return `${sign}${whole}${frac ? `.${frac}` : ''}`;
}
