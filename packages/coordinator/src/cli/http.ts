import { errorFromWire } from '@fedmark/protocol';
import { CliError, EXIT } from './exit-codes.ts';

export interface OperatorClient {
  get(path: string): Promise<unknown>;
  post(path: string, body: unknown): Promise<unknown>;
}

/** Operator API client: bearer token, JSON, typed errors rebuilt from `{error:{code,message}}`. */
export function operatorClient(baseUrl: string, token: string): OperatorClient {
  const base = baseUrl.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, {
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
