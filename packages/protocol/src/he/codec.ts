/**
 * Pure codec between signed fixed-point integers and BFV slot values (no SEAL needed).
 *
 * A signed v is carried as v mod t in [0, t). Decoding is centered: x > (t-1)/2 ? x - t : x. Sums
 * of encoded values decode to the true signed sum as long as it stays inside [-(t-1)/2, (t-1)/2]
 * (arithmetic in Z_t is a ring homomorphism from Z), which checkFits guards.
 */

function assertModulus(t: bigint): void {
  if (typeof t !== 'bigint' || t < 3n)
    throw new RangeError(`"t" expected a bigint plain modulus >= 3, got ${String(t)}`);
}

function assertSlots(slots: number): void {
  if (!Number.isSafeInteger(slots) || slots < 1)
    throw new RangeError(`"slots" expected a positive integer, got ${slots}`);
}

/** Number of ciphertexts a vector of `length` values needs with `slots` slots each. */
export function ciphertextCountFor(length: number, slots: number): number {
  assertSlots(slots);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
  return Math.ceil(length / slots);
}

/** Largest |v| that decodes unambiguously: (t-1)/2. */
export function maxAbsFor(t: bigint): bigint {
  assertModulus(t);
  return (t - 1n) / 2n;
}

/**
 * Throws a RangeError unless a sum whose absolute value is at most `maxAbsAggregate` decodes
 * exactly under plain modulus t.
 */
export function checkFits(maxAbsAggregate: bigint, t: bigint): void {
  if (typeof maxAbsAggregate !== 'bigint' || maxAbsAggregate < 0n) {
    throw new RangeError(
      `"maxAbsAggregate" expected a non-negative bigint, got ${String(maxAbsAggregate)}`
    );
  }
  const limit = maxAbsFor(t);
  if (maxAbsAggregate > limit) {
    throw new RangeError(
      `aggregate bound ${maxAbsAggregate} exceeds the plain modulus range +-${limit}: lower the scales, bounds or node/row limits`
    );
  }
}

/**
 * Encodes signed values into whole ciphertexts' worth of slot vectors, zero-padded.
 * Throws a RangeError for a value outside [-(t-1)/2, (t-1)/2] (it would decode as another number).
 */
export function encodeSigned(
  values: readonly bigint[],
  t: bigint,
  slots: number
): BigUint64Array[] {
  const limit = maxAbsFor(t);
  if (t > 0xffffffffffffffffn) throw new RangeError('"t" must fit in 64 bits');
  const count = ciphertextCountFor(values.length, slots);
  const out: BigUint64Array[] = [];
  for (let c = 0; c < count; c++) out.push(new BigUint64Array(slots));
  values.forEach((v, i) => {
    if (typeof v !== 'bigint')
      throw new TypeError(`"values[${i}]" expected a bigint, got ${typeof v}`);
    if (v > limit || v < -limit)
      throw new RangeError(`"values[${i}]" = ${v} is outside +-${limit}`);
    (out[Math.floor(i / slots)] as BigUint64Array)[i % slots] = v < 0n ? v + t : v;
  });
  return out;
}

/**
 * Decodes the first `length` slots (across the given vectors, in order) to signed values.
 * Throws a RangeError if there are too few slots or a slot value is not in [0, t).
 */
export function decodeSigned(
  slotValues: readonly ArrayLike<bigint>[],
  t: bigint,
  length: number
): bigint[] {
  const half = maxAbsFor(t);
  if (!Number.isSafeInteger(length) || length < 0)
    throw new RangeError(`"length" expected a non-negative integer, got ${length}`);
  const out: bigint[] = [];
  for (const vec of slotValues) {
    for (let j = 0; j < vec.length && out.length < length; j++) {
      const x = vec[j] as bigint;
      if (typeof x !== 'bigint' || x < 0n || x >= t)
        throw new RangeError(`slot ${out.length} value ${String(x)} is not in [0, t)`);
      out.push(x > half ? x - t : x);
    }
  }
  if (out.length < length)
    throw new RangeError(`"slotValues" holds ${out.length} slots, ${length} needed`);
  return out;
}
