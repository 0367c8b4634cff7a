/**
 * Internal test helper: an in-process stand-in for the coordinator's node API, reached through
 * the agent's egress seam (a FetchFn). It verifies signed requests like the real one, records
 * every request the nodes send (for egress checks) and lets a test script tasks.
 */
import {
  ENROLL_DOMAIN,
  EnrollRequestSchema,
  KEY_ACK_DOMAIN,
  KEY_BUNDLE_DOMAIN,
  KeyAckSchema,
  KeyBundleSchema,
  RECEIPT_DOMAIN,
  REFUSAL_DOMAIN,
  RefusalSchema,
  SUBMISSION_DOMAIN,
  SubmissionSchema,
  DECRYPTION_DOMAIN,
  DecryptionSchema,
  ProtocolError,
  errorToWire,
  HTTP_STATUS,
  enrollSigningPayload,
  fromBase64,
  generateSigningKeyPair,
  hexToBytes,
  bytesToHex,
  keyAckSigningPayload,
  keyBundleSigningPayload,
  receiptSigningPayload,
  refusalSigningPayload,
  sha256Hex,
  signCanonical,
  submissionSigningPayload,
  decryptionSigningPayload,
  verifyCanonical,
  verifyNodeRequest,
  type Decryption,
  type Member,
  type Refusal,
  type Submission,
  type Task,
  type KeyBundle,
  type DecryptTask,
  CONTRIBUTOR_SET_DOMAIN,
  ROUND_SPEC_DOMAIN,
  contributorSetSigningPayload,
  roundSpecHash,
  roundSpecSigningPayload,
  type JobRoundSpec,
  type JobRoundTask,
} from '@fedmark/protocol';
import type { FetchFn } from './client.ts';

export interface Captured {
  node: string | null;
  method: string;
  path: string;
  body: string;
}

export class FakeCoordinator {
  readonly key = generateSigningKeyPair();
  readonly requests: Captured[] = [];
  readonly tasks = new Map<string, Task[]>();
  readonly bundles = new Map<string, KeyBundle>();
  readonly acks: { node: string; keyId: string; publicKeyHash: string }[] = [];
  readonly submissions: Submission[] = [];
  readonly refusals: Refusal[] = [];
  readonly decryptions: Decryption[] = [];
  readonly ciphertexts = new Map<string, { node: string; ciphertexts: string[] }[]>();
  private readonly nonces = new Set<string>();
  /** Contributor set of the latest decrypt task per `job/round` (decryptTask). */
  private readonly sets = new Map<string, string[]>();
  /** When set, the next n requests fail with a network error (retry tests). */
  failNext = 0;
  /** Nodes whose receipts are signed by another key than `key` (receipt verification tests). */
  readonly forgedReceipts = new Set<string>();
  private readonly otherKey = generateSigningKeyPair();

  constructor(public members: Member[]) {}

  member(name: string): Member | undefined {
    return this.members.find((m) => m.name === name);
  }

  addTask(node: string, task: Task): void {
    this.tasks.set(node, [...(this.tasks.get(node) ?? []), task]);
  }

  private drop(node: string, pred: (t: Task) => boolean): void {
    this.tasks.set(
      node,
      (this.tasks.get(node) ?? []).filter((t) => !pred(t))
    );
  }

  readonly fetch: FetchFn = async (url, init) => {
    const u = new URL(url);
    const path = u.pathname + u.search;
    const body = init.body ?? '';
    this.requests.push({
      node: init.headers['x-fedmark-node'] ?? null,
      method: init.method,
      path,
      body,
    });
    if (this.failNext > 0) {
      this.failNext--;
      throw new TypeError('fetch failed (simulated)');
    }
    try {
      const out = this.route(init.method, path, body, init.headers);
      return new Response(JSON.stringify(out), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      });
    } catch (err) {
      if (err instanceof ProtocolError)
        return new Response(JSON.stringify(errorToWire(err)), { status: HTTP_STATUS[err.code] });
      throw err;
    }
  };

  private route(
    method: string,
    path: string,
    body: string,
    headers: Record<string, string>
  ): unknown {
    if (method === 'POST' && path === '/v1/enroll') {
      const req = EnrollRequestSchema.parse(JSON.parse(body));
      if (
        !verifyCanonical(
          ENROLL_DOMAIN,
          enrollSigningPayload(req),
          req.signature,
          hexToBytes(req.signingKey)
        )
      ) {
        throw new ProtocolError('INVALID_SIGNATURE', 'enroll signature');
      }
      this.members.push({ name: req.name, signingKey: req.signingKey, boxKey: req.boxKey });
      return { version: 1, name: req.name, coordinatorKey: bytesToHex(this.key.publicKey) };
    }
    const { node } = verifyNodeRequest({
      method,
      path,
      body,
      headers,
      publicKeyFor: (n) => {
        const m = this.member(n);
        return m ? hexToBytes(m.signingKey) : undefined;
      },
      now: Date.now(),
      seenNonce: (n, nonce) => {
        const k = `${n}/${nonce}`;
        if (this.nonces.has(k)) return true;
        this.nonces.add(k);
        return false;
      },
    });
    const signer = this.member(node) as Member;
    let m: RegExpMatchArray | null;
    if (method === 'GET' && path === '/v1/node/tasks')
      return { version: 1, tasks: this.tasks.get(node) ?? [] };
    m = path.match(/^\/v1\/node\/keys\/(k\d+)$/);
    if (method === 'POST' && m) {
      const b = KeyBundleSchema.parse(JSON.parse(body));
      if (
        !verifyCanonical(
          KEY_BUNDLE_DOMAIN,
          keyBundleSigningPayload(b),
          b.signature,
          hexToBytes(signer.signingKey)
        )
      ) {
        throw new ProtocolError('INVALID_SIGNATURE', 'bundle signature');
      }
      this.bundles.set(b.keyId, b);
      this.drop(node, (t) => t.type === 'key_generate' && t.keyId === m?.[1]);
      const sealedHashes = Object.fromEntries(
        Object.entries(b.sealed).map(([k, v]) => [k, sha256Hex(fromBase64(v))])
      );
      for (const [member, sealed] of Object.entries(b.sealed)) {
        this.addTask(member, {
          type: 'key_install',
          keyId: b.keyId,
          heParams: 'bfv-8192-t40',
          members: this.members,
          generator: node,
          sealedSecretKey: sealed,
          publicKey: b.publicKey,
          sealedHashes,
          bundleSignature: b.signature,
        });
      }
      return { version: 1 };
    }
    m = path.match(/^\/v1\/node\/keys\/(k\d+)\/ack$/);
    if (method === 'POST' && m) {
      const a = KeyAckSchema.parse(JSON.parse(body));
      if (
        !verifyCanonical(
          KEY_ACK_DOMAIN,
          keyAckSigningPayload(a),
          a.signature,
          hexToBytes(signer.signingKey)
        )
      ) {
        throw new ProtocolError('INVALID_SIGNATURE', 'ack signature');
      }
      this.acks.push({ node, keyId: a.keyId, publicKeyHash: a.publicKeyHash });
      this.drop(node, (t) => t.type === 'key_install' && t.keyId === m?.[1]);
      return { version: 1 };
    }
    m = path.match(
      /^\/v1\/node\/jobs\/([^/]+)\/rounds\/(\d+)\/(submission|refusal|ciphertexts|decryption)$/
    );
    if (m) {
      const jobId = decodeURIComponent(m[1] as string);
      const round = Number(m[2]);
      const kind = m[3];
      const done = (t: Task) => t.type === 'job_round' && t.jobId === jobId && t.round === round;
      if (method === 'POST' && kind === 'submission') {
        const s = SubmissionSchema.parse(JSON.parse(body));
        const { signature, ciphertexts, version: _v, ...meta } = s;
        if (
          s.node !== node ||
          !verifyCanonical(
            SUBMISSION_DOMAIN,
            submissionSigningPayload(meta),
            signature,
            hexToBytes(signer.signingKey)
          )
        ) {
          throw new ProtocolError('INVALID_SIGNATURE', 'submission signature');
        }
        if (ciphertexts.some((c, i) => sha256Hex(fromBase64(c)) !== s.ciphertextHashes[i]))
          throw new ProtocolError('BAD_CIPHERTEXT', 'hash');
        const prior = this.submissions.find(
          (x) => x.jobId === jobId && x.round === round && x.node === node
        );
        if (prior && prior.signature !== s.signature)
          throw new ProtocolError('CONFLICT', 'different submission');
        if (!prior) {
          this.submissions.push(s);
          const key = `${jobId}/${round}`;
          this.ciphertexts.set(key, [...(this.ciphertexts.get(key) ?? []), { node, ciphertexts }]);
        }
        this.drop(node, done);
        return this.receipt(jobId, round, node, s.ciphertextHashes);
      }
      if (method === 'POST' && kind === 'refusal') {
        const r = RefusalSchema.parse(JSON.parse(body));
        if (
          !verifyCanonical(
            REFUSAL_DOMAIN,
            refusalSigningPayload(r),
            r.signature,
            hexToBytes(signer.signingKey)
          )
        ) {
          throw new ProtocolError('INVALID_SIGNATURE', 'refusal signature');
        }
        this.refusals.push(r);
        this.drop(node, done);
        return this.receipt(jobId, round, node, []);
      }
      if (method === 'GET' && kind === 'ciphertexts') {
        return {
          version: 1,
          jobId,
          round,
          contributions: (this.ciphertexts.get(`${jobId}/${round}`) ?? []).filter(
            (c) => this.sets.get(`${jobId}/${round}`)?.includes(c.node) ?? true
          ),
        };
      }
      if (method === 'POST' && kind === 'decryption') {
        const d = DecryptionSchema.parse(JSON.parse(body));
        if (
          !verifyCanonical(
            DECRYPTION_DOMAIN,
            decryptionSigningPayload(d),
            d.signature,
            hexToBytes(signer.signingKey)
          )
        ) {
          throw new ProtocolError('INVALID_SIGNATURE', 'decryption signature');
        }
        this.decryptions.push(d);
        this.drop(node, (t) => t.type === 'decrypt' && t.jobId === jobId && t.round === round);
        return { version: 1 };
      }
    }
    throw new ProtocolError('NOT_FOUND', `${method} ${path}`);
  }

  /** A job_round task as the real coordinator lists it (nodes/tasks.ts). */
  roundTask(jobId: string, round: number, keyId: string, spec: JobRoundSpec): JobRoundTask {
    const specHash = roundSpecHash(spec);
    const specSignature = signCanonical(
      ROUND_SPEC_DOMAIN,
      roundSpecSigningPayload({ jobId, round, specHash }),
      this.key.secretKey
    );
    return {
      type: 'job_round',
      jobId,
      round,
      keyId,
      members: this.members,
      spec,
      specHash,
      specSignature,
    };
  }

  /** A decrypt task over exactly `subs`, as the real coordinator lists it (nodes/tasks.ts). */
  decryptTask(
    jobId: string,
    round: number,
    keyId: string,
    subs: Submission[],
    aggregate: string[],
    specHash = subs[0]?.specHash ?? ''
  ): DecryptTask {
    const contributions = subs.map(({ ciphertexts: _c, version: _v, ...meta }) => meta);
    // The ciphertexts route then serves exactly this set, as a coordinator asking for it would.
    this.sets.set(
      `${jobId}/${round}`,
      subs.map((s) => s.node)
    );
    return {
      type: 'decrypt',
      jobId,
      round,
      keyId,
      layoutHash: contributions[0]?.layoutHash ?? '',
      aggregate,
      contributions,
      minNodes: 3,
      specHash,
      contributorSetSignature: signCanonical(
        CONTRIBUTOR_SET_DOMAIN,
        contributorSetSigningPayload({
          jobId,
          round,
          specHash,
          contributions,
        }),
        this.key.secretKey
      ),
    };
  }

  private receipt(jobId: string, round: number, node: string, ciphertextHashes: string[]): unknown {
    const r = { jobId, round, node, ciphertextHashes, receivedAt: new Date().toISOString() };
    return {
      version: 1,
      ...r,
      coordinatorSignature: signCanonical(
        RECEIPT_DOMAIN,
        receiptSigningPayload(r),
        (this.forgedReceipts.has(node) ? this.otherKey : this.key).secretKey
      ),
    };
  }
}
