/**
 * The per-run secret exponent of one PSI party (docs/psi.md "Secrets"): a uniform non-zero
 * scalar of ristretto255's prime-order group, drawn from the CSPRNG for one run and discarded.
 */
import { ristretto255 } from '@noble/curves/ed25519.js';
import { bytesToNumberLE } from '@noble/curves/utils.js';
import { type RandomWords, cryptoRandomWords } from './_shuffle.ts';

const Fn = ristretto255.Point.Fn;
// RFC 9496 §4.4 and RFC 9380 §5 (k = 128): reducing 64 uniform bytes modulo the ~2^252 group
// order leaves a bias below 2^-250, unlike reducing 32 bytes, which is biased by ~2^-4.
const WIDE_BYTES = 64;

/** Reduces 64 little-endian bytes modulo the group order; null if that is 0 (never usable). */
export function _scalarFromWideBytes(bytes: Uint8Array): bigint | null {
  if (!(bytes instanceof Uint8Array) || bytes.length !== WIDE_BYTES) {
    throw new RangeError(`"bytes" expected Uint8Array of length 64, got length=${bytes.length}`);
  }
  const k = Fn.create(bytesToNumberLE(bytes));
  return k === 0n ? null : k;
}

/**
 * An opaque secret scalar. It never serialises (toJSON and toString hide it) and `destroy()`
 * drops it after the run. A JavaScript bigint cannot be overwritten, so destroy only makes the
 * value unreachable from here; the random bytes it came from are zeroed.
 */
export class PsiSecret {
  #k: bigint | null;
  private constructor(k: bigint) {
    this.#k = k;
  }

  /** Draws a fresh secret from crypto.getRandomValues; redraws in the 2^-252 case of zero. */
  static random(random: RandomWords = cryptoRandomWords): PsiSecret {
    const words = new Uint32Array(WIDE_BYTES / 4);
    const bytes = new Uint8Array(words.buffer);
    try {
      for (;;) {
        random(words);
        const k = _scalarFromWideBytes(bytes);
        if (k !== null) return new PsiSecret(k);
      }
    } finally {
      words.fill(0);
    }
  }

  /** The scalar, for psi-cardinality.ts only. Throws after destroy(). */
  _scalar(): bigint {
    if (this.#k === null) throw new Error('PsiSecret used after destroy()');
    return this.#k;
  }

  get destroyed(): boolean {
    return this.#k === null;
  }

  destroy(): void {
    this.#k = null;
  }

  toJSON(): string {
    return '[PsiSecret]';
  }

  toString(): string {
    return '[PsiSecret]';
  }
}
