// Internal test fixtures (not exported from index.ts): an in-process coordinator, node
// identities that sign their requests, and helpers for the key ceremony.
import {
  DECRYPTION_DOMAIN,
  REFUSAL_DOMAIN,
  SUBMISSION_DOMAIN,
  decryptionSigningPayload,
  refusalSigningPayload,
  submissionSigningPayload,
  KEY_ACK_DOMAIN,
  ENCRYPTED_OVERHEAD_BYTES,
  KEY_BUNDLE_DOMAIN,
  SEALED_DATA_KEY_BYTES,
  bytesToHex,
  generateBoxKeyPair,
  keyAckSigningPayload,
  keyBundleSigningPayload,
  keyMembersHash,
  sha256Hex,
  signCanonical,
  signNodeRequest,
  signingKeyPairFromSeed,
  toBase64,
  type BoxKeyPair,
  type He,
  type Member,
  type HeParamsId,
  type SigningKeyPair,
} from '@fedmark/protocol';
import type { RateLimit } from './nodes/rate-limit.ts';
import { createCoordinator, type Coordinator } from './app.ts';
import { openStore, type Store } from './store/index.ts';
import { roundSpecHashOf } from './jobs/round-binding.ts';
import type { CliIo } from './cli/io.ts';

/** A CliIo that keeps what the coordinator CLI prints (not a TTY, only `env` as environment). */
export function captureCli(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    isTty: false,
    env,
  };
  return { io, out: () => out.join(''), err: () => err.join('') };
}

/** The smallest segment_stats job spec (a count at epsilon 0.5), with `over` on top. */
export function countJobSpec(name: string, over: Record<string, unknown> = {}) {
  return {
    version: 1,
    kind: 'segment_stats',
    name,
    query: {
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-01-01',
      epsilon: 0.5,
    },
    ...over,
  };
}

export const OPERATOR_TOKEN = 'op-token-for-tests';
export const AUDITOR_TOKEN = 'auditor-token-for-tests';
export const T0 = Date.parse('2026-03-01T12:00:00Z');

export interface TestNode {
  name: string;
  signing: SigningKeyPair;
  box: BoxKeyPair;
}

export function testNode(name: string, seedByte: number): TestNode {
  return {
    name,
    signing: signingKeyPairFromSeed(new Uint8Array(32).fill(seedByte)),
    box: generateBoxKeyPair(),
  };
}

/** Response whose JSON body tests may index freely. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type TestResponse = Omit<Response, 'json'> & { json(): Promise<any> };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (r: Response | TestResponse): Promise<any> => r.json();

export interface Harness {
  coordinator: Coordinator;
  store: Store;
  clock: { now: number };
  /** Operator request with the bearer token. */
  op(method: string, path: string, body?: unknown): Promise<TestResponse>;
  /** Request with the auditor's bearer token. */
  aud(method: string, path: string, body?: unknown): Promise<TestResponse>;
  /** Signed node request. `raw` sends the string as is (malformed JSON tests). */
  node(
    n: TestNode,
    method: string,
    path: string,
    body?: unknown,
    raw?: string
  ): Promise<TestResponse>;
}

export function harness(
  opts: {
    dir?: string;
    heFor?: (id: HeParamsId) => Promise<He>;
    clock?: { now: number };
    nodeRateLimit?: RateLimit;
    addressRateLimit?: RateLimit;
  } = {}
): Harness {
  const store = openStore(opts.dir ?? ':memory:');
  const clock = opts.clock ?? { now: T0 };
  const coordinator = createCoordinator({
    store,
    coordinatorKey: signingKeyPairFromSeed(new Uint8Array(32).fill(99)),
    operatorToken: OPERATOR_TOKEN,
    auditorToken: AUDITOR_TOKEN,
    now: () => clock.now,
    log: () => {},
    ...(opts.nodeRateLimit ? { nodeRateLimit: opts.nodeRateLimit } : {}),
    ...(opts.addressRateLimit ? { addressRateLimit: opts.addressRateLimit } : {}),
    timers: false,
    ...(opts.heFor ? { heFor: opts.heFor } : {}),
  });
  const { app } = coordinator;
  const bearer = (token: string) => async (method: string, path: string, body?: unknown) =>
    app.request(path, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  return {
    coordinator,
    store,
    clock,
    op: bearer(OPERATOR_TOKEN),
    aud: bearer(AUDITOR_TOKEN),
    node: async (n, method, path, body, raw) => {
      const text = raw ?? (body === undefined ? '' : JSON.stringify(body));
      const headers = signNodeRequest({
        method,
        path,
        body: text,
        node: n.name,
        secretKey: n.signing.secretKey,
        now: clock.now,
      });
      return app.request(path, {
        method,
        headers: { ...headers, 'content-type': 'application/json' },
        ...(method === 'GET' ? {} : { body: text }),
      });
    },
  };
}

export function memberOf(n: TestNode): Member {
  return {
    name: n.name,
    signingKey: bytesToHex(n.signing.publicKey),
    boxKey: bytesToHex(n.box.publicKey),
  };
}

export async function admit(h: Harness, n: TestNode): Promise<TestResponse> {
  return h.op('POST', '/v1/admin/nodes', memberOf(n));
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

/**
 * A bundle from `generator` for `others`, signed over the members hash of all of them. The blob
 * and the sealed data keys are filler of the right sizes: the coordinator never opens them.
 */
export function keyBundle(
  generator: TestNode,
  keyId: string,
  publicKey: Uint8Array,
  others: TestNode[]
) {
  const sealedDataKeys = Object.fromEntries(
    others.map((o, i) => [o.name, toBase64(new Uint8Array(SEALED_DATA_KEY_BYTES).fill(i + 1))])
  );
  const membersHash = keyMembersHash([generator, ...others].map(memberOf));
  const encryptedSecretKey = toBase64(
    new Uint8Array(ENCRYPTED_OVERHEAD_BYTES + publicKey.length).fill(7)
  );
  const b = {
    keyId,
    publicKey: toBase64(publicKey),
    encryptedSecretKey,
    sealedDataKeys,
    membersHash,
  };
  return {
    version: 2,
    ...b,
    signature: signCanonical(
      KEY_BUNDLE_DOMAIN,
      keyBundleSigningPayload(b),
      generator.signing.secretKey
    ),
  };
}

export function keyAck(n: TestNode, keyId: string, publicKey: Uint8Array) {
  const a = { keyId, publicKeyHash: sha256Hex(publicKey) };
  return {
    version: 1,
    ...a,
    signature: signCanonical(KEY_ACK_DOMAIN, keyAckSigningPayload(a), n.signing.secretKey),
  };
}

/** Admits `nodes` and runs the key ceremony for the resulting epoch with `publicKey`. Returns the keyId. */
export async function federation(
  h: Harness,
  nodes: TestNode[],
  publicKey: Uint8Array
): Promise<string> {
  for (const n of nodes) await admit(h, n);
  const sorted = [...nodes].sort((a, b) => (a.name < b.name ? -1 : 1));
  const gen = sorted[0] as TestNode;
  const keyId = h.store.keys.latest()?.keyId as string;
  const others = sorted.slice(1);
  const res = await h.node(
    gen,
    'POST',
    `/v1/node/keys/${keyId}`,
    keyBundle(gen, keyId, publicKey, others)
  );
  if (res.status !== 200) throw new Error(`bundle refused: ${await res.text()}`);
  for (const o of others) {
    const r = await h.node(o, 'POST', `/v1/node/keys/${keyId}/ack`, keyAck(o, keyId, publicKey));
    if (r.status !== 200) throw new Error(`ack refused: ${await r.text()}`);
  }
  return keyId;
}

export interface SubmissionArgs {
  jobId: string;
  round: number;
  keyId: string;
  layoutHash: string;
  /** The round's spec hash (`specHashOf`), signed with the submission. */
  specHash: string;
  values: bigint[];
  epsilon?: number;
  noise?: 'on' | 'off-test-only';
  /** Replace the ciphertexts (hashes are computed over what is sent). */
  ciphertexts?: Uint8Array[];
}

/** A node's signed submission, encrypted for real with the epoch secret key. */
export function makeSubmission(he: He, secretKey: Uint8Array, n: TestNode, s: SubmissionArgs) {
  const cts = s.ciphertexts ?? he.encryptSymmetric(s.values, secretKey);
  const meta = {
    jobId: s.jobId,
    round: s.round,
    node: n.name,
    keyId: s.keyId,
    layoutHash: s.layoutHash,
    specHash: s.specHash,
    ciphertextHashes: cts.map((c) => sha256Hex(c)),
    enforced: { minCohort: 10, epsilon: s.epsilon ?? 0.5, noise: s.noise ?? 'on' },
  };
  return {
    version: 1,
    ...meta,
    ciphertexts: cts.map(toBase64),
    signature: signCanonical(
      SUBMISSION_DOMAIN,
      submissionSigningPayload(meta),
      n.signing.secretKey
    ),
  };
}

/** The spec hash of an opened round, as its job_round task names it (jobs/round-binding.ts). */
export function specHashOf(h: Harness, jobId: string, round: number): string {
  const job = h.store.jobs.getJob(jobId);
  const r = h.store.jobs.getRound(jobId, round);
  if (!job || !r) throw new Error(`no round ${jobId}/${round}`);
  return roundSpecHashOf(job, r);
}

export function makeRefusal(
  n: TestNode,
  r: { jobId: string; round: number; specHash: string },
  reason: string
) {
  const m = { jobId: r.jobId, round: r.round, node: n.name, specHash: r.specHash, reason };
  return {
    version: 1,
    ...m,
    signature: signCanonical(REFUSAL_DOMAIN, refusalSigningPayload(m), n.signing.secretKey),
  };
}

export function makeDecryption(
  n: TestNode,
  jobId: string,
  round: number,
  layoutHash: string,
  values: bigint[]
) {
  const m = { jobId, round, node: n.name, layoutHash, values: values.map(String) };
  return {
    version: 1,
    ...m,
    signature: signCanonical(DECRYPTION_DOMAIN, decryptionSigningPayload(m), n.signing.secretKey),
  };
}
