/**
 * Internal test helper: a real coordinator in-process (memory store, no timers, silent log) and
 * the two steps that make a node its member: the operator admits the node's public keys, and
 * the node records the coordinator's key as enrollment would.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bytesToHex, type SigningKeyPair } from '@fedmark/protocol';
import { createCoordinator, type Coordinator } from '../../packages/coordinator/src/app.ts';
import { openStore } from '../../packages/coordinator/src/store/index.ts';
import { COORDINATOR_FILE } from '../../packages/node/src/federation/enroll.ts';
import type { NodeIdentity } from '../../packages/node/src/identity/index.ts';

/**
 * A coordinator over an in-memory store; tests drive rounds themselves (`timers: false`).
 * @example const coordinator = startTestCoordinator(signingKeyPairFromSeed(seed), 'op-token');
 */
export function startTestCoordinator(
  coordinatorKey: SigningKeyPair,
  operatorToken: string
): Coordinator {
  return createCoordinator({
    store: openStore(':memory:'),
    coordinatorKey,
    operatorToken,
    log: () => {},
    timers: false,
  });
}

/**
 * `POST /v1/admin/nodes` with the node's signing and box keys, in-process (`target` a
 * Coordinator) or over HTTP (`target` its base URL). Throws unless the coordinator answers 201,
 * so a fixture never goes on with a node the coordinator does not know.
 */
export async function admitNode(
  target: Coordinator | string,
  operatorToken: string,
  identity: Pick<NodeIdentity, 'name' | 'signing' | 'box'>
): Promise<void> {
  const init: RequestInit = {
    method: 'POST',
    headers: { authorization: `Bearer ${operatorToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      name: identity.name,
      signingKey: bytesToHex(identity.signing.publicKey),
      boxKey: bytesToHex(identity.box.publicKey),
    }),
  };
  const res =
    typeof target === 'string'
      ? await fetch(`${target}/v1/admin/nodes`, init)
      : await target.app.request('/v1/admin/nodes', init);
  if (res.status !== 201)
    throw new Error(`admitting ${identity.name} failed: HTTP ${res.status} ${await res.text()}`);
}

/** Writes the node's coordinator.json (what `fedmark node enroll` records) naming `url` and `coordinatorKey`. */
export function writeCoordinatorFile(dir: string, url: string, coordinatorKey: Uint8Array): void {
  const record = {
    version: 1,
    url,
    coordinatorKey: bytesToHex(coordinatorKey),
    enrolledAt: new Date().toISOString(),
  };
  writeFileSync(join(dir, COORDINATOR_FILE), JSON.stringify(record));
}

/**
 * The operator API of an in-process coordinator: `op(method, path, body)` with the bearer token,
 * JSON in and out; a status of 300 or more throws with the answer.
 * @example const op = operatorApi(coordinator, 'op-token'); await op('GET', '/v1/jobs');
 */
export function operatorApi(
  coordinator: Coordinator,
  token: string
): <T>(method: string, path: string, body?: unknown) => Promise<T> {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await coordinator.app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const json = (await res.json()) as T;
    if (res.status >= 300)
      throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
}
