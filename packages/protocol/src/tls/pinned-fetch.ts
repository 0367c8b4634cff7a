import type { TLSSocket } from 'node:tls';
import type { Agent } from 'undici';
import { TlsFingerprintSchema, isLoopbackHost, tlsFingerprint } from './fingerprint.ts';
import { moduleExports } from './module-exports.ts';

/**
 * The coordinator presented a TLS key other than the pinned one: someone in the middle, or a
 * coordinator whose key changed. Never retried: it is not a network fault that time fixes.
 */
export class TlsPinError extends Error {
  readonly code = 'TLS_PIN_MISMATCH';
  constructor(
    readonly expected: string,
    readonly presented: string,
    host: string
  ) {
    super(
      `${host} presented TLS key ${presented}, not the pinned ${expected}: refusing to talk to it (if the coordinator's key really changed, pin the new one from "fedmark coordinator keys")`
    );
    this.name = 'TlsPinError';
  }
}

/** Plain HTTP to a host that is not loopback, or HTTPS without a pin: refused before connecting. */
export class InsecureTransportError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsecureTransportError';
  }
}

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

// undici is loaded on the first pinned request, not when a CLI that never makes one starts.
const AGENTS = new Map<string, Promise<Agent>>();

/**
 * An undici Agent whose connections trust exactly one key: the certificate chain is not checked
 * against any CA (the coordinator's certificate is self-signed), and instead the handshake
 * completes only if the server's SubjectPublicKeyInfo hashes to `fingerprint`. That is a
 * stronger check than CA validation for a known peer (RFC 7469 §1). TLS sessions are not cached,
 * so every connection shows its certificate and is checked.
 */
function pinnedAgent(fingerprint: string): Promise<Agent> {
  const cached = AGENTS.get(fingerprint);
  if (cached) return cached;
  const agent = import('undici').then((loaded) => {
    const { Agent, buildConnector } = moduleExports(loaded, 'Agent');
    const base = buildConnector({ rejectUnauthorized: false, maxCachedSessions: 0 });
    return new Agent({
      connect: (options, callback) =>
        base(options, (err, socket) => {
          if (err !== null) return callback(err, null);
          const raw = (socket as TLSSocket).getPeerCertificate?.(false)?.raw;
          const presented = raw ? tlsFingerprint(raw) : 'none';
          if (presented !== fingerprint) {
            socket.destroy();
            return callback(new TlsPinError(fingerprint, presented, options.hostname), null);
          }
          callback(null, socket);
        }),
    });
  });
  AGENTS.set(fingerprint, agent);
  return agent;
}

/** undici wraps connector errors as `TypeError: fetch failed`; give the caller the pin error itself. */
function unwrapPinError(err: unknown): never {
  let e: unknown = err;
  for (let depth = 0; e instanceof Error && depth < 4; depth++) {
    if (e instanceof TlsPinError) throw e;
    e = e.cause;
  }
  throw err;
}

/** A fetch that talks HTTPS only to the server holding the pinned key. */
export function pinnedFetch(fingerprint: string): Fetch {
  const pin = TlsFingerprintSchema.parse(fingerprint);
  return async (url, init) => {
    if (new URL(url).protocol !== 'https:')
      throw new InsecureTransportError(`${url}: a pinned connection must be https`);
    const [loaded, dispatcher] = await Promise.all([import('undici'), pinnedAgent(pin)]);
    const undiciFetch = moduleExports(loaded, 'fetch').fetch;
    return (
      undiciFetch(url, { ...(init as object), dispatcher }) as unknown as Promise<Response>
    ).catch(unwrapPinError);
  };
}

/**
 * The fetch for talking to a coordinator at `url` (docs/operations.md "TLS"): HTTPS checked
 * against the pinned `fingerprint`, or plain HTTP when the coordinator is on this machine's
 * loopback (a coordinator started with --insecure-http). Anything else is refused here, before
 * a byte is sent.
 */
export function coordinatorFetch(url: string, fingerprint: string | undefined): Fetch {
  const u = new URL(url);
  if (u.protocol === 'https:') {
    if (fingerprint === undefined)
      throw new InsecureTransportError(
        `${url}: no TLS fingerprint pinned for this coordinator; give --tls-fingerprint (printed by "fedmark coordinator keys")`
      );
    return pinnedFetch(fingerprint);
  }
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return (v, init) => fetch(v, init);
  throw new InsecureTransportError(
    `${url}: plain HTTP is allowed only to a loopback address; use the coordinator's https:// URL`
  );
}
