import { X509Certificate, createHash } from 'node:crypto';
import { z } from 'zod';

/**
 * A TLS public-key pin: SHA-256 of the certificate's DER SubjectPublicKeyInfo, as in HPKP's
 * pin-sha256 (RFC 7469 §2.4) and Chromium's --ignore-certificate-errors-spki-list, written as
 * `sha256:` and 64 hex digits like fedmark's other keys (docs/operations.md "TLS"). Pinning the
 * key rather than the certificate lets an operator renew the certificate on the same key
 * without re-pinning every node.
 */
export const TlsFingerprintSchema = z
  .string()
  .regex(/^sha256:[0-9a-f]{64}$/, 'expected "sha256:" and 64 lower-case hex digits');

/** The pin of a certificate given as PEM text or DER bytes (parsed by OpenSSL through node:crypto). */
export function tlsFingerprint(certificate: string | Uint8Array): string {
  const cert = new X509Certificate(
    typeof certificate === 'string' ? certificate : Buffer.from(certificate)
  );
  const spki = cert.publicKey.export({ type: 'spki', format: 'der' });
  return `sha256:${createHash('sha256').update(spki).digest('hex')}`;
}

/** The same pin in base64, the form Chromium's --ignore-certificate-errors-spki-list takes. */
export function tlsFingerprintBase64(fingerprint: string): string {
  const hex = TlsFingerprintSchema.parse(fingerprint).slice('sha256:'.length);
  return Buffer.from(hex, 'hex').toString('base64');
}

/** Hosts a plain-HTTP coordinator may be reached on: this machine's loopback only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
