// Internal test fixtures (not exported from index.ts): an in-process coordinator, node
// identities that sign their requests, and helpers for the key ceremony.
import {
  KEY_ACK_DOMAIN,
  KEY_BUNDLE_DOMAIN,
  bytesToHex,
  generateBoxKeyPair,
  keyAckSigningPayload,
  keyBundleSigningPayload,
  sha256Hex,
  signCanonical,
  signNodeRequest,
  signingKeyPairFromSeed,
  toBase64,
  type BoxKeyPair,
  type He,
  type HeParamsId,
  type SigningKeyPair,
} from '@fedmark/protocol';
import { createCoordinator, type Coordinator } from './app.ts';
import { openStore, type Store } from './store/index.ts';

export const OPERATOR_TOKEN = 'op-token-for-tests';
export const T0 = Date.parse('2026-03-01T12:00:00Z');

export interface TestNode {
  name: string;
  signing: SigningKeyPair;
  box: BoxKeyPair;
}

export function testNode(name: string, seedByte: number): TestNode {
  return { name, signing: signingKeyPairFromSeed(new Uint8Array(32).fill(seedByte)), box: generateBoxKeyPair() };
}

export interface Harness {
  coordinator: Coordinator;
  store: Store;
  clock: { now: number };
  /** Operator request with the bearer token. */
  op(method: string, path: string, body?: unknown): Promise<Response>;
  /** Signed node request. `raw` sends the string as is (malformed JSON tests). */
  node(n: TestNode, method: string, path: string, body?: unknown, raw?: string): Promise<Response>;
}

export function harness(opts: { dir?: string; heFor?: (id: HeParamsId) => Promise<He>; clock?: { now: number } } = {}): Harness {
  const store = openStore(opts.dir ?? ':memory:');
  const clock = opts.clock ?? { now: T0 };
  const coordinator = createCoordinator({
    store,
    coordinatorKey: signingKeyPairFromSeed(new Uint8Array(32).fill(99)),
    operatorToken: OPERATOR_TOKEN,
    now: () => clock.now,
    log: () => {},
    timers: false,
    ...(opts.heFor ? { heFor: opts.heFor } : {}),
  });
  const { app } = coordinator;
  return {
    coordinator,
    store,
    clock,
    op: async (method, path, body) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
    node: async (n, method, path, body, raw) => {
      const text = raw ?? (body === undefined ? '' : JSON.stringify(body));
      const headers = signNodeRequest({ method, path, body: text, node: n.name, secretKey: n.signing.secretKey, now: clock.now });
      return app.request(path, { method, headers: { ...headers, 'content-type': 'application/json' }, ...(method === 'GET' ? {} : { body: text }) });
    },
  };
}

export async function admit(h: Harness, n: TestNode): Promise<Response> {
  return h.op('POST', '/v1/admin/nodes', { name: n.name, signingKey: bytesToHex(n.signing.publicKey), boxKey: bytesToHex(n.box.publicKey) });
}

/** A well-formed SEAL serialization header around `len` filler bytes (SEAL 4.x, zstd). */
export function fakeSealBlob(len: number, fill = 7): Uint8Array {
  const out = new Uint8Array(16 + len).fill(fill);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xa15e, true);
  v.setUint8(2, 16);
  v.setUint8(3, 4);
  v.setUint8(4, 1);
  v.setUint8(5, 2);
  v.setUint16(6, 0, true);
  v.setBigUint64(8, BigInt(out.length), true);
  return out;
}

export function keyBundle(generator: TestNode, keyId: string, publicKey: Uint8Array, others: string[]) {
  const sealed = Object.fromEntries(others.map((o, i) => [o, toBase64(new Uint8Array(80).fill(i + 1))]));
  const b = { keyId, publicKey: toBase64(publicKey), sealed };
  return { version: 1, ...b, signature: signCanonical(KEY_BUNDLE_DOMAIN, keyBundleSigningPayload(b), generator.signing.secretKey) };
}

export function keyAck(n: TestNode, keyId: string, publicKey: Uint8Array) {
  const a = { keyId, publicKeyHash: sha256Hex(publicKey) };
  return { version: 1, ...a, signature: signCanonical(KEY_ACK_DOMAIN, keyAckSigningPayload(a), n.signing.secretKey) };
}

/** Admits `nodes` and runs the key ceremony for the resulting epoch with `publicKey`. Returns the keyId. */
export async function federation(h: Harness, nodes: TestNode[], publicKey: Uint8Array): Promise<string> {
  for (const n of nodes) await admit(h, n);
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1));
  const gen = sorted[0] as TestNode;
  const keyId = h.store.keys.latest()?.keyId as string;
  const others = sorted.slice(1);
  const res = await h.node(gen, 'POST', `/v1/node/keys/${keyId}`, keyBundle(gen, keyId, publicKey, others.map((o) => o.name)));
  if (res.status !== 200) throw new Error(`bundle refused: ${await res.text()}`);
  for (const o of others) {
    const r = await h.node(o, 'POST', `/v1/node/keys/${keyId}/ack`, keyAck(o, keyId, publicKey));
    if (r.status !== 200) throw new Error(`ack refused: ${await r.text()}`);
  }
  return keyId;
}
