/**
 * Internal: an unbiased Fisher-Yates shuffle driven by the CSPRNG (Knuth, TAOCP vol. 2,
 * §3.4.2, Algorithm P). The PSI responder's shuffle is what stops the initiator from learning
 * *which* of its customers are shared (docs/psi.md "Who learns what"), so neither a
 * non-cryptographic generator nor a modulo-biased index will do.
 */

/** Fills `out` with random 32-bit words. Only tests pass anything but the CSPRNG. */
export type RandomWords = (out: Uint32Array) => void;

export const cryptoRandomWords: RandomWords = (out) => {
  // Web Crypto caps one call at 65536 bytes (W3C WebCrypto §10.1.1 getRandomValues), i.e. 16384
  // words; our pool is smaller than that.
  crypto.getRandomValues(out);
};

const POOL_WORDS = 1024;
const TWO_32 = 2 ** 32;

/** Shuffles `items` in place, every permutation equally likely; returns `items`. */
export function shuffleInPlace<T>(items: T[], random: RandomWords = cryptoRandomWords): T[] {
  const pool = new Uint32Array(POOL_WORDS);
  let next = POOL_WORDS;
  const word = (): number => {
    if (next === POOL_WORDS) {
      random(pool);
      next = 0;
    }
    return pool[next++] as number;
  };
  for (let i = items.length - 1; i > 0; i--) {
    const bound = i + 1;
    // Rejection sampling: accept only words below the largest multiple of `bound`, so
    // `w % bound` is exactly uniform on [0, i].
    const limit = TWO_32 - (TWO_32 % bound);
    let w = word();
    while (w >= limit) w = word();
    const j = w % bound;
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  pool.fill(0); // the words would let anyone replay the permutation
  return items;
}
