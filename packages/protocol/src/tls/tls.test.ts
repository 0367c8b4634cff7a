import { X509Certificate } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSelfSignedTlsCertificate, type TlsCertificate } from './certificate.ts';
import { isLoopbackHost, tlsFingerprint, tlsFingerprintBase64 } from './fingerprint.ts';
import {
  InsecureTransportError,
  TlsPinError,
  coordinatorFetch,
  pinnedFetch,
} from './pinned-fetch.ts';

/**
 * Test vector made with the OpenSSL CLI, independently of this code:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=fedmark-test-vector ...
 *   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 [-binary | base64]
 */
const VECTOR_CERT = `-----BEGIN CERTIFICATE-----
MIIBrTCCAVOgAwIBAgIUexStMcjbUbb74KYwRuVBOPy2qMgwCgYIKoZIzj0EAwIw
HjEcMBoGA1UEAwwTZmVkbWFyay10ZXN0LXZlY3RvcjAeFw0yNjEyMDIwNDUyMDla
Fw0zNjExMjkwNDUyMDlaMB4xHDAaBgNVBAMME2ZlZG1hcmstdGVzdC12ZWN0b3Iw
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS+H74KxH9Ul6rDpKVqGzt9d9AUy7qA
tJOusOB/KZch7rhDlPLoV48u8Y0rZDLhh2Bd/y46/eolYLXHQGx8Nt3Yo28wbTAd
BgNVHQ4EFgQU+25rAwLi4bADzmB4Cdz8Ti7snAswHwYDVR0jBBgwFoAU+25rAwLi
4bADzmB4Cdz8Ti7snAswDwYDVR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2Nh
bGhvc3SHBH8AAAEwCgYIKoZIzj0EAwIDSAAwRQIhAMoRTmR61ZJDrlgH3jbpzv9M
j5c5T/nmyhC872XFBHg0AiATF4kvZG3//UNH0ijh4q49svxZL22IjrFx+ogF4sPB
AA==
-----END CERTIFICATE-----
`;
const VECTOR_PIN = 'sha256:df85b874b4e2123c56f762af945f12cf11d0e7d65cee7fe4c4cbeeb9b5be38e6';
const VECTOR_PIN_BASE64 = '34W4dLTiEjxW92KvlF8SzxHQ59Zc7n/kxMvuubW+OOY=';

describe('TLS key pins', () => {
  it('hashes the SubjectPublicKeyInfo as OpenSSL does, from PEM or DER', () => {
    expect(tlsFingerprint(VECTOR_CERT)).toBe(VECTOR_PIN);
    expect(tlsFingerprint(new X509Certificate(VECTOR_CERT).raw)).toBe(VECTOR_PIN);
    expect(tlsFingerprintBase64(VECTOR_PIN)).toBe(VECTOR_PIN_BASE64);
  });

  it('knows loopback hosts from the rest', () => {
    for (const h of ['127.0.0.1', '127.8.9.10', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(h)).toBe(true);
    for (const h of ['10.0.0.1', 'coordinator.example', '128.0.0.1', '::2', '127.0.0.1.nip.io'])
      expect(isLoopbackHost(h)).toBe(false);
  });
});

describe('createSelfSignedTlsCertificate', () => {
  it('makes a P-256 server certificate for the names, signed by its own key', async () => {
    const made = await createSelfSignedTlsCertificate({
      names: ['coordinator.example', '127.0.0.1'],
      now: new Date('2026-12-01T00:00:00Z'),
      days: 30,
    });
    const cert = new X509Certificate(made.certPem);
    expect(cert.subjectAltName).toBe('DNS:coordinator.example, IP Address:127.0.0.1');
    expect(cert.ca).toBe(false);
    expect(cert.verify(cert.publicKey)).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(cert.checkPrivateKey((await import('node:crypto')).createPrivateKey(made.keyPem))).toBe(
      true
    );
    expect(Date.parse(cert.validTo) - Date.parse('2026-12-01T00:00:00Z')).toBe(30 * 86_400_000);
    expect(made.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });
});

/** An HTTPS server on loopback that answers every request with 'hello'. */
async function serveHttps(cert: TlsCertificate): Promise<{ server: Server; url: string }> {
  const server = createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) =>
    res.end('hello')
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/` };
}

describe('pinnedFetch', () => {
  let real: TlsCertificate;
  let impostor: TlsCertificate;
  let coordinator: { server: Server; url: string };
  let middle: { server: Server; url: string };

  beforeAll(async () => {
    real = await createSelfSignedTlsCertificate({ names: ['127.0.0.1'] });
    impostor = await createSelfSignedTlsCertificate({ names: ['127.0.0.1'] });
    coordinator = await serveHttps(real);
    middle = await serveHttps(impostor);
  });
  afterAll(() => {
    coordinator.server.close();
    middle.server.close();
  });

  it('talks to the server holding the pinned key', async () => {
    const res = await pinnedFetch(tlsFingerprint(real.certPem))(coordinator.url);
    expect(await res.text()).toBe('hello');
  });

  it('refuses a server with another key for the same name, before sending the request', async () => {
    // The attack: someone answering at the coordinator's address with a certificate of their own
    // for the same name. Without the pin (plain fetch) the node would trust the CA system, which
    // has no say here, or talk plain HTTP and be read by anyone on the path.
    const pin = tlsFingerprint(real.certPem);
    const err = await pinnedFetch(pin)(middle.url, { method: 'POST', body: 'secret' }).catch(
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(TlsPinError);
    expect((err as TlsPinError).presented).toBe(tlsFingerprint(impostor.certPem));
    expect(String((err as Error).message)).toContain(pin);
  });

  it('does not let a pinned fetch fall back to plain HTTP', async () => {
    await expect(pinnedFetch(tlsFingerprint(real.certPem))('http://127.0.0.1:1/')).rejects.toThrow(
      InsecureTransportError
    );
  });
});

describe('coordinatorFetch', () => {
  it('requires a pin for https and loopback for plain http', () => {
    expect(() => coordinatorFetch('https://coordinator.example:7700', undefined)).toThrow(
      /no TLS fingerprint pinned/
    );
    expect(() => coordinatorFetch('http://coordinator.example:7700', VECTOR_PIN)).toThrow(
      /plain HTTP is allowed only to a loopback address/
    );
    expect(() => coordinatorFetch('http://10.1.2.3:7700', undefined)).toThrow(
      InsecureTransportError
    );
    expect(typeof coordinatorFetch('http://127.0.0.1:7700', undefined)).toBe('function');
    expect(typeof coordinatorFetch('https://coordinator.example:7700', VECTOR_PIN)).toBe(
      'function'
    );
  });
});
