import { ZodError } from 'zod';
import {
  TlsFingerprintSchema,
  coordinatorFetch,
  errorFromWire,
  fetchWithRetry,
} from '@fedmark/protocol';
import { CliError, EXIT } from './exit-codes.ts';

export interface OperatorClient {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/**
 * Operator API client: bearer token, JSON, typed errors rebuilt from `{error:{code,message}}`.
 * HTTPS only to the coordinator holding the pinned TLS key, plain HTTP only to loopback
 * (docs/operations.md "TLS"): the token never crosses a network in clear. A dropped connection
 * is retried with backoff where that cannot repeat a side effect (fetchWithRetry).
 */
export function operatorClient(
  baseUrl: string,
  token: string,
  tlsFingerprint?: string
): OperatorClient {
  const base = baseUrl.replace(/\/+$/, '');
  let fetch: ReturnType<typeof coordinatorFetch>;
  try {
    const pin =
      tlsFingerprint === undefined ? undefined : TlsFingerprintSchema.parse(tlsFingerprint);
    fetch = coordinatorFetch(base, pin);
  } catch (err) {
    throw new CliError(
      EXIT.USAGE,
      err instanceof ZodError
        ? `--tls-fingerprint: expected sha256: and 64 hex digits, got ${JSON.stringify(tlsFingerprint)}`
        : err instanceof Error
          ? err.message
          : String(err)
    );
  }
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      // Transient failures are retried (protocol http-retry.ts): a GET always, a POST only when
      // it never reached the coordinator.
      res = await fetchWithRetry(fetch, `${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (err) {
      throw new CliError(
        EXIT.UNREACHABLE,
        `cannot reach the coordinator at ${base}: ${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)}`
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    if (!res.ok) throw errorFromWire(parsed, `coordinator answered HTTP ${res.status}`);
    return parsed;
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b) };
}
