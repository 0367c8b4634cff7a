/**
 * Set-size padding (docs/overlap.md "Padding"): before blinding, each side tops its set up with
 * random points to a public bucket, so the peer and the relay learn its size only to within the
 * bucket. Buckets are 1,024 points, or 1/8 of the set's power of two once that is larger, so
 * padding costs at most 12.5% above 8,192 points.
 */
export const OVERLAP_MIN_BUCKET = 1024;

export function overlapPaddedSize(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`"n" expected an integer >= 0, got ${n}`);
  const bucket = Math.max(OVERLAP_MIN_BUCKET, 2 ** (Math.floor(Math.log2(Math.max(1, n))) - 3));
  return Math.max(bucket, Math.ceil(n / bucket) * bucket);
}
