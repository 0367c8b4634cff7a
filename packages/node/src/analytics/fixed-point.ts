/**
 * Exact integer accumulation of fixed-point values. Slots add in float64 while that is exact
 * (|partial sum| <= 2^53 - 1) and spill into a BigInt before it would not be, so sums stay exact
 * for any number of rows without paying for BigInt arithmetic on every row.
 */

const MAX_SAFE = Number.MAX_SAFE_INTEGER;
/** floor(sqrt(2^53 - 1)): a square of an integer up to this is still exact in float64. */
export const MAX_EXACT_SQUARE_ROOT = 94_906_265;

/** Round half away from zero: 2.5 -> 3, -2.5 -> -3 (documented in docs/analytics.md). */
export function roundHalfAway(y: number): number {
  const r = Math.round(Math.abs(y));
  return y < 0 ? -r : r;
}

export class ExactSums {
  readonly #fast: Float64Array;
  readonly #spill: bigint[];

  constructor(slots: number) {
    this.#fast = new Float64Array(slots);
    this.#spill = new Array<bigint>(slots).fill(0n);
  }

  /** Adds integer `t` (any magnitude a float64 integer can have) to slot `i`. */
  add(i: number, t: number): void {
    const fast = this.#fast;
    const a = fast[i] as number;
    if (Math.abs(t) > MAX_SAFE) {
      this.#spill[i] = (this.#spill[i] as bigint) + BigInt(t);
    } else if (Math.abs(a) + Math.abs(t) > MAX_SAFE) {
      this.#spill[i] = (this.#spill[i] as bigint) + BigInt(a);
      fast[i] = t;
    } else fast[i] = a + t;
  }

  /** Adds t * t for an integer t. */
  addSquare(i: number, t: number): void {
    if (Math.abs(t) <= MAX_EXACT_SQUARE_ROOT) this.add(i, t * t);
    else this.#spill[i] = (this.#spill[i] as bigint) + BigInt(t) * BigInt(t);
  }

  value(i: number): bigint {
    return (this.#spill[i] as bigint) + BigInt(this.#fast[i] as number);
  }
}
