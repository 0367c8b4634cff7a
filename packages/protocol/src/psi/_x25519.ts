/**
 * Internal: raising a PSI point to a party's secret with X25519 from node:crypto (OpenSSL).
 *
 * X25519(k, u) (RFC 7748 §5) is the u-coordinate of clamp(k)·P, where clamp(k) = 2^254 + 8·m
 * for some m < 2^251 read from the 32 secret bytes. Because the result depends only on u and the
 * integer clamp(k), the two parties' blindings commute:
 * X25519(a, X25519(b, u)) = u(clamp(a)·clamp(b)·P) = X25519(b, X25519(a, u)). The factor 8 in
 * every clamped scalar also clears the cofactor, so a small-order component of P never reaches
 * the result. We use OpenSSL rather than @noble's x25519 because it is about 40 times faster
 * (bench/psi.bench.ts), and it is the same audited ladder node's TLS uses.
 */
import { type KeyObject, createPublicKey, diffieHellman } from 'node:crypto';

/**
 * X25519(privateKey, u) for a 32-byte u. OpenSSL throws (ERR_OSSL_FAILED_DURING_DERIVATION)
 * when the result is all zeros, which happens exactly for points of small order (RFC 7748 §6.1);
 * callers map that to their own error. u is not otherwise checked here: OpenSSL masks the top
 * bit, reduces u mod p and accepts twist points (_u-coordinate.ts refuses all three first).
 */
export function x25519(privateKey: KeyObject, u: Uint8Array): Buffer {
  // A JWK public key costs less to build than a DER SubjectPublicKeyInfo one (RFC 8410 §4):
  // 0.057 against 0.134 ms per point with the DH itself, measured on this machine; OpenSSL 3
  // routes DER through its generic decoder, a raw JWK key straight to the X25519 key type.
  const x = Buffer.from(u.buffer, u.byteOffset, u.byteLength).toString('base64url');
  const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
  return diffieHellman({ privateKey, publicKey });
}
