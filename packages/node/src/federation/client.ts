import type { z } from 'zod';
import {
  ProtocolError,
  TlsPinError,
  encodeRequestBody,
  errorFromWire,
  signNodeRequest,
} from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';

/**
 * The egress seam: every byte the agent sends goes through one fetch-like function, so a test
 * can capture all of it (test/egress-canary.test.ts). Callers pass `coordinatorFetch` (HTTPS to the
 * pinned TLS key, docs/operations.md "TLS"); without one, the global fetch (tests only).
 */
export type FetchFn = (
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    /** JSON text, or its gzip bytes with `content-encoding: gzip` (protocol request-body.ts). */
    body?: string | Uint8Array;
    signal?: AbortSignal;
  }
) => Promise<Response>;

/** Structured, secret-free log sink: `event` is a short name, `detail` holds ids and reasons only. */
export type AgentLog = (event: string, detail?: Record<string, unknown>) => void;

/** The coordinator could not be reached (network error or 5xx) even after retries: try again later. */
export class TransientError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause?: unknown) {
    super(message);
    this.name = 'TransientError';
    this.cause = cause;
  }
}

export interface CoordinatorClientOptions {
  coordinatorUrl: string;
  /** Signs /v1/node/* requests; absent for the unsigned enrollment call. */
  identity?: NodeIdentity;
  fetch?: FetchFn;
  signal?: AbortSignal;
  log?: AgentLog;
  /** Attempts per request for network errors and 5xx (default 4), backoff from `backoffMs` (default 200) doubling to 5 s. */
  attempts?: number;
  backoffMs?: number;
}

/** A conditional GET's outcome: unchanged since the tag sent (304), or a fresh validated body. */
export type PollResult<T> =
  | { unchanged: true; etag: string }
  | { unchanged: false; etag: string | undefined; data: T };

export interface CoordinatorClient {
  request<TSchema extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: TSchema
  ): Promise<z.infer<TSchema>>;
  /**
   * GET with `If-None-Match: etag` when given (docs/federation-protocol.md "Polling"): a 304 is
   * `unchanged`, anything else is handled as `request` does and returns the response's ETag.
   */
  poll<TSchema extends z.ZodType>(
    path: string,
    etag: string | undefined,
    schema: TSchema
  ): Promise<PollResult<z.infer<TSchema>>>;
}

/** Responses larger than this are refused before parsing (an aggregate of 64 ciphertexts is ~40 MB of base64). */
const MAX_RESPONSE_CHARS = 256 * 1024 * 1024;

/** Sleeps `ms`, waking early (with a rejection) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Jitter in [0.5, 1) from the CSPRNG (no non-cryptographic RNG in product code, even for timing). */
function jitter(): number {
  const b = new Uint32Array(1);
  globalThis.crypto.getRandomValues(b);
  return 0.5 + (b[0] as number) / 2 ** 33;
}

function describeIssue(err: z.ZodError): string {
  const i = err.issues[0];
  return i ? `field "${i.path.join('.') || '(root)'}" ${i.message}` : 'invalid';
}

/**
 * HTTP client for the coordinator. Signs /v1/node/* requests (docs/federation-protocol.md),
 * retries network errors and 5xx with exponential backoff, rebuilds typed errors from 4xx bodies,
 * and zod-validates every response before the caller sees it.
 */
export function createCoordinatorClient(opts: CoordinatorClientOptions): CoordinatorClient {
  const doFetch: FetchFn = opts.fetch ?? ((url, init) => fetch(url, init));
  const attempts = opts.attempts ?? 4;
  const backoffMs = opts.backoffMs ?? 200;
  const base = new URL(opts.coordinatorUrl);
  if (base.protocol !== 'http:' && base.protocol !== 'https:')
    throw new TypeError(`"coordinatorUrl" must be http(s), got ${base.protocol}`);

  async function once(
    method: string,
    path: string,
    text: string | undefined,
    etag: string | undefined
  ): Promise<{ status: number; json: unknown; etag: string | undefined }> {
    const url = new URL(
      path.replace(/^\//, ''),
      base.href.endsWith('/') ? base.href : `${base.href}/`
    );
    const headers: Record<string, string> = { accept: 'application/json' };
    if (text !== undefined) headers['content-type'] = 'application/json';
    if (etag !== undefined) headers['if-none-match'] = etag;
    if (opts.identity) {
      Object.assign(
        headers,
        signNodeRequest({
          method,
          path: url.pathname + url.search,
          body: text ?? '',
          node: opts.identity.name,
          secretKey: opts.identity.signing.secretKey,
        })
      );
    }
    // Signed as JSON text above; large signed bodies travel gzip-compressed (the coordinator's
    // node routes inflate, then verify the signature over the text). The unsigned enrollment
    // call goes as it is: only the signed routes inflate.
    const encoded =
      text === undefined
        ? undefined
        : opts.identity
          ? encodeRequestBody(text)
          : { body: text, headers: {} };
    if (encoded) Object.assign(headers, encoded.headers);
    const res = await doFetch(url.href, {
      method,
      headers,
      ...(encoded !== undefined ? { body: encoded.body } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const raw = await res.text();
    if (raw.length > MAX_RESPONSE_CHARS)
      throw new ProtocolError(
        'PAYLOAD_TOO_LARGE',
        `${method} ${path}: response of ${raw.length} characters refused`
      );
    let json: unknown = null;
    if (raw.length > 0) {
      try {
        json = JSON.parse(raw);
      } catch {
        json = null;
      }
    }
    return { status: res.status, json, etag: res.headers.get('etag') ?? undefined };
  }

  async function send<TSchema extends z.ZodType>(
    method: 'GET' | 'POST',
    path: string,
    body: unknown,
    schema: TSchema,
    etag?: string
  ): Promise<PollResult<z.infer<TSchema>>> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    let lastError: unknown;
    for (let attempt = 0; attempt < attempts; attempt++) {
      if (attempt > 0)
        await sleep(Math.min(backoffMs * 2 ** (attempt - 1), 5000) * jitter(), opts.signal);
      let result: { status: number; json: unknown; etag: string | undefined };
      try {
        // Each attempt is signed afresh: a new nonce, so a retry is never refused as a replay.
        result = await once(method, path, text, etag);
      } catch (err) {
        if (opts.signal?.aborted || err instanceof ProtocolError) throw err;
        // The coordinator's address answered with another TLS key: no use retrying now, and
        // the caller treats it as a fault that may pass (the agent defers its tasks and logs
        // it every poll) rather than a task to give up on.
        if (err instanceof TlsPinError) throw new TransientError(err.message, err);
        lastError = err;
        opts.log?.('coordinator_unreachable', {
          method,
          path,
          attempt: attempt + 1,
          error: err instanceof Error ? err.message : String(err),
        });
        continue;
      }
      // 5xx, and 429 (RATE_LIMITED: this node's allowance is spent for a moment), are retried.
      if (result.status >= 500 || result.status === 429) {
        lastError = errorFromWire(result.json, `${method} ${path}: HTTP ${result.status}`);
        opts.log?.('coordinator_error', {
          method,
          path,
          attempt: attempt + 1,
          status: result.status,
        });
        continue;
      }
      if (result.status >= 400)
        throw errorFromWire(result.json, `${method} ${path}: HTTP ${result.status}`);
      // Only an answer to the tag this client sent means "unchanged".
      if (result.status === 304 && etag !== undefined) return { unchanged: true, etag };
      const parsed = schema.safeParse(result.json);
      if (!parsed.success) {
        throw new ProtocolError(
          'BAD_REQUEST',
          `coordinator response to ${method} ${path} is malformed: ${describeIssue(parsed.error)}`
        );
      }
      return { unchanged: false, etag: result.etag, data: parsed.data };
    }
    throw new TransientError(
      `${method} ${path}: coordinator unreachable after ${attempts} attempts`,
      lastError
    );
  }

  return {
    async request(method, path, body, schema) {
      const r = await send(method, path, body, schema);
      // send() only answers `unchanged` to a tag it was given.
      if (r.unchanged) throw new TypeError(`${method} ${path}: 304 to a request without a tag`);
      return r.data;
    },
    poll: (path, etag, schema) => send('GET', path, undefined, schema, etag),
  };
}
