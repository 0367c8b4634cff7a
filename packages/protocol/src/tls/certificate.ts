import { createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { hostname } from 'node:os';
import { isIP } from 'node:net';
import { moduleExports } from './module-exports.ts';

export interface TlsCertificate {
  /** The certificate, PEM: public, handed to nodes as its fingerprint. */
  certPem: string;
  /** Its PKCS#8 private key, PEM: secret, kept 0600 beside the coordinator's signing key. */
  keyPem: string;
}

/** The names a certificate made on this machine answers to when none are given. */
export function defaultTlsNames(): string[] {
  return [...new Set(['localhost', '127.0.0.1', '::1', hostname()])];
}

/**
 * A self-signed ECDSA P-256 / SHA-256 server certificate for `names` (DNS names or IP
 * addresses, in subjectAltName), valid for `days`. Nodes trust it by pinning its key
 * (tls/fingerprint.ts), not through a CA, so self-signed is enough; a CA-issued certificate can
 * be given instead (`coordinator start --tls-cert/--tls-key`). Built with @peculiar/x509 over
 * WebCrypto (OpenSSL), loaded only here because it needs the reflect-metadata polyfill.
 */
export async function createSelfSignedTlsCertificate(opts: {
  names?: string[];
  now?: Date;
  days?: number;
}): Promise<TlsCertificate> {
  await import('reflect-metadata');
  const x509 = moduleExports(await import('@peculiar/x509'), 'cryptoProvider');
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[1]);
  const names = opts.names && opts.names.length > 0 ? opts.names : defaultTlsNames();
  const now = opts.now ?? new Date();
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  // RFC 5280 §4.1.2.2: a positive serial of at most 20 octets; 16 random ones, top bit clear.
  const serial = randomBytes(16);
  serial[0] = (serial[0] as number) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: `CN=${names[0]}`,
    notBefore: new Date(now.getTime() - 60_000),
    notAfter: new Date(now.getTime() + (opts.days ?? 825) * 86_400_000),
    signingAlgorithm: algorithm,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        names.map((n) => ({ type: isIP(n) ? ('ip' as const) : ('dns' as const), value: n }))
      ),
    ],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const keyPem = createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })
    .export({ type: 'pkcs8', format: 'pem' })
    .toString();
  pkcs8.fill(0);
  return { certPem: cert.toString('pem'), keyPem };
}
