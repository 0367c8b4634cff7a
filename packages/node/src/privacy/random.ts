/**
 * Uniform integers from the platform CSPRNG (WebCrypto getRandomValues), without modulo bias.
 *
 * Bytes are drawn in blocks into a module-local pool: one getRandomValues call per 2048 words
 * instead of one per draw makes the exact samplers fast enough for 10^5-10^6 draws. The pool
 * holds only fresh randomness (never data), each word is used once, and used words are zeroed.
 */

const POOL_WORDS = 2048;
const pool = new Uint32Array(POOL_WORDS);
let poolNext = POOL_WORDS;
let bitCache = 0;
let bitsLeft = 0;

/** One uniform 32-bit word. */
export function randomWord(): number {
  if (poolNext >= POOL_WORDS) {
    globalThis.crypto.getRandomValues(pool);
    poolNext = 0;
  }
  const w = pool[poolNext] as number;
  pool[poolNext] = 0;
  poolNext++;
  return w;
}

/** One uniform bit (a fair coin), taken from a cached word. */
export function randomBit(): number {
  if (bitsLeft === 0) {
    bitCache = randomWord();
    bitsLeft = 32;
  }
  const b = bitCache & 1;
  bitCache >>>= 1;
  bitsLeft--;
  return b;
}

const TWO_32 = 4294967296;

/**
 * Uniform in [0, n) for a safe integer 1 <= n. Rejection keeps it exact: a 32-bit word is
 * accepted only below the largest multiple of n that fits, so `w % n` is uniform. Larger n goes
 * through the bigint path.
 */
export function randomBelowNumber(n: number): number {
  if (!Number.isSafeInteger(n) || n < 1)
    throw new RangeError(`"n" expected a safe integer >= 1, got ${n}`);
  if (n === 1) return 0;
  if (n > TWO_32) return Number(randomBelow(BigInt(n)));
  const limit = TWO_32 - (TWO_32 % n);
  for (;;) {
    const w = randomWord();
    if (w < limit) return w % n;
  }
}

/**
 * Uniform bigint in [0, n) for n >= 1, by rejection: draw bitLength(n) random bits and retry
 * while the value is >= n (expected fewer than 2 tries).
 */
export function randomBelow(n: bigint): bigint {
  if (typeof n !== 'bigint' || n < 1n)
    throw new RangeError(`"n" expected a bigint >= 1, got ${String(n)}`);
  if (n <= BigInt(TWO_32)) return BigInt(randomBelowNumber(Number(n)));
  const bits = (n - 1n).toString(2).length;
  const words = Math.ceil(bits / 32);
  const topBits = bits - (words - 1) * 32;
  const topMask = topBits === 32 ? 0xffffffff : (1 << topBits) - 1;
  for (;;) {
    let v = BigInt((randomWord() & topMask) >>> 0);
    for (let i = 1; i < words; i++) v = (v << 32n) | BigInt(randomWord());
    if (v < n) return v;
  }
}
