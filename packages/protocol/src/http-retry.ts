/**
 * Retries of an operator's HTTP request to the coordinator (the `fedmark job` commands and
 * `fedmark simulate`), so one dropped connection does not end a run. A GET is retried on any
 * network error and on 502, 503 and 504; a POST only when no connection was ever made (NEVER_SENT),
 * i.e. the request never reached the server: a POST whose answer was lost may have created a job,
 * and sending it again would create a second one. Backoff doubles from `backoffMs`. Nodes sign each
 * request with a fresh nonce and have their own retry loop (node federation/client.ts).
 */

/**
 * Network errors of a connection that was never established: ECONNREFUSED, and undici's
 * UND_ERR_CONNECT_TIMEOUT (seen at 60 nodes when the coordinator's event loop was busy;
 * docs/scale.md "Node count").
 */
export const NEVER_SENT = new Set(['ECONNREFUSED', 'UND_ERR_CONNECT_TIMEOUT']);

export type RetryFetch = (url: string, init?: RequestInit) => Promise<Response>;

export interface RetryOptions {
  /** Attempts in all (default 4: waits of 200, 400 and 800 ms between them). */
  attempts?: number;
  backoffMs?: number;
}

const GATEWAY_ERRORS = new Set([502, 503, 504]);

export async function fetchWithRetry(
  fetch: RetryFetch,
  url: string,
  init: RequestInit & { method: string },
  opts: RetryOptions = {}
): Promise<Response> {
  const attempts = opts.attempts ?? 4;
  const backoffMs = opts.backoffMs ?? 200;
  const idempotent = init.method === 'GET';
  for (let attempt = 1; ; attempt++) {
    const wait = (): Promise<void> =>
      new Promise((r) => setTimeout(r, backoffMs * 2 ** (attempt - 1)));
    try {
      const res = await fetch(url, init);
      if (idempotent && GATEWAY_ERRORS.has(res.status) && attempt < attempts) {
        await res.body?.cancel();
        await wait();
        continue;
      }
      return res;
    } catch (err) {
      const code = (err as { cause?: { code?: string } }).cause?.code ?? '';
      if (attempt >= attempts || !(idempotent || NEVER_SENT.has(code))) throw err;
      await wait();
    }
  }
}
