/**
 * The per-run secret of one PSI party (docs/psi.md "Secrets"): an X25519 private key, drawn
 * inside OpenSSL for one run and dropped after it.
 */
import { type KeyObject, createPrivateKey, generateKeyPairSync } from 'node:crypto';

// RFC 8410 §7 / §10.3: the PKCS #8 prefix of an X25519 private key (OID 1.3.101.110), followed
// by the 32 key bytes.
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const KEY_BYTES = 32;

/**
 * An opaque secret. It never serialises (toJSON and toString hide it), and `destroy()` drops it
 * after the run. The key lives in an OpenSSL KeyObject, which JavaScript cannot overwrite, so
 * destroy only makes it unreachable from here; random() never has its bytes in JavaScript
 * memory at all.
 */
export class PsiSecret {
  #key: KeyObject | null;
  private constructor(key: KeyObject) {
    this.#key = key;
  }

  /**
   * A fresh key from OpenSSL's CSPRNG (generateKeyPairSync('x25519')). Every 32-byte string is
   * a valid X25519 key: clamping (RFC 7748 §5) fixes bits 0-2 and 254-255, so a key is one of
   * 2^251 scalars, none of them zero modulo the group order.
   */
  static random(): PsiSecret {
    return new PsiSecret(generateKeyPairSync('x25519').privateKey);
  }

  /**
   * A secret from given bytes, for the RFC 7748 test vectors only. The DER copy made here is
   * zeroed; the caller zeroes its own bytes.
   */
  static _fromBytes(bytes: Uint8Array): PsiSecret {
    if (!(bytes instanceof Uint8Array) || bytes.length !== KEY_BYTES) {
      throw new RangeError(`"bytes" expected Uint8Array of length 32, got length=${bytes.length}`);
    }
    const der = Buffer.alloc(PKCS8_X25519_PREFIX.length + KEY_BYTES);
    PKCS8_X25519_PREFIX.copy(der);
    der.set(bytes, PKCS8_X25519_PREFIX.length);
    try {
      return new PsiSecret(createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }));
    } finally {
      der.fill(0);
    }
  }

  /** The key, for psi-cardinality.ts only. Throws after destroy(). */
  _privateKey(): KeyObject {
    if (this.#key === null) throw new Error('PsiSecret used after destroy()');
    return this.#key;
  }

  get destroyed(): boolean {
    return this.#key === null;
  }

  destroy(): void {
    this.#key = null;
  }

  toJSON(): string {
    return '[PsiSecret]';
  }

  toString(): string {
    return '[PsiSecret]';
  }
}
