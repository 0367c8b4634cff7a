import { X509Certificate, createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSelfSignedTlsCertificate } from './certificate.ts';
import { tlsFingerprint } from './fingerprint.ts';

/**
 * A server's TLS certificate file in its directory (public: clients pin its key) and its private
 * key (0600): the coordinator's always, a node's when its API is served beyond loopback.
 */
export const TLS_CERT_FILE = 'tls.crt';
export const TLS_KEY_FILE = 'tls.key';

/** A certificate or key file that cannot be read, parsed, or that does not match: names the file. */
export class TlsFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TlsFileError';
  }
}

export interface ServerTls {
  certPem: string;
  keyPem: string;
  /** `sha256:<hex>` of the certificate's public key: what clients pin (docs/operations.md "TLS"). */
  fingerprint: string;
  certFile: string;
}

/**
 * Makes the directory's self-signed certificate for `names` (DNS names or IPs the nodes use to
 * reach the coordinator) unless one is there. The key file is created exclusively, 0600, and
 * written before the certificate, so a crash in between leaves no certificate without its key.
 */
export async function ensureTlsFiles(
  dir: string,
  names: string[] = []
): Promise<{ fingerprint: string; created: boolean }> {
  const certFile = join(dir, TLS_CERT_FILE);
  const keyFile = join(dir, TLS_KEY_FILE);
  if (existsSync(certFile) && existsSync(keyFile))
    return { fingerprint: loadTls({ certFile, keyFile }).fingerprint, created: false };
  const made = await createSelfSignedTlsCertificate({ names });
  writeFileSync(keyFile, made.keyPem, { mode: 0o600, flag: 'w' });
  writeFileSync(certFile, made.certPem, { mode: 0o644, flag: 'w' });
  return { fingerprint: tlsFingerprint(made.certPem), created: true };
}

function readPem(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new TlsFileError(
      `cannot read the TLS ${what} ${file}: ${err instanceof Error ? err.message : String(err)}`
    );
  }
}

/**
 * Reads a certificate and its key (the directory's, or an operator's from --tls-cert/--tls-key)
 * and checks that they parse and belong together, naming the file that is wrong: a mismatch
 * found here is a clear start-up error rather than handshakes that fail later.
 */
export function loadTls(files: { certFile: string; keyFile: string }): ServerTls {
  const certPem = readPem(files.certFile, 'certificate');
  const keyPem = readPem(files.keyFile, 'key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (err) {
    throw new TlsFileError(
      `${files.certFile}: not a PEM certificate (${err instanceof Error ? err.message : String(err)})`
    );
  }
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch (err) {
    throw new TlsFileError(
      `${files.keyFile}: not a PEM private key (${err instanceof Error ? err.message : String(err)})`
    );
  }
  if (!matches)
    throw new TlsFileError(
      `${files.keyFile} is not the private key of the certificate ${files.certFile}`
    );
  return { certPem, keyPem, fingerprint: tlsFingerprint(certPem), certFile: files.certFile };
}

/** The directory's certificate files, or undefined if it has none yet. */
export function dirTlsFiles(dir: string): { certFile: string; keyFile: string } | undefined {
  const certFile = join(dir, TLS_CERT_FILE);
  const keyFile = join(dir, TLS_KEY_FILE);
  return existsSync(certFile) && existsSync(keyFile) ? { certFile, keyFile } : undefined;
}

/** The pin of the directory's own certificate, or undefined if it has none yet. */
export function dirTlsFingerprint(dir: string): string | undefined {
  const files = dirTlsFiles(dir);
  return files ? loadTls(files).fingerprint : undefined;
}
