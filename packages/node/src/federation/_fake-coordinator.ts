/**
 * Internal test helper: an in-process stand-in for the coordinator's node API, reached through
 * the agent's egress seam (a FetchFn). It verifies signed requests like the real one, records
 * every request the nodes send (for egress checks) and lets a test script tasks. A round runs
 * the phases of packages/coordinator (nodes/tasks.ts, jobs/secagg.ts): `setupTask` for each
 * participant, `roundTask` carrying the adverts of the setups received, `unmaskTask` over signed
 * survivor and dropped sets, `decryptTask`; `correction` rebuilds the unmask correction from the
 * answers received, as the coordinator does before publishing.
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
  sealedDataKeyHashes,
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
  SECAGG_SETS_DOMAIN,
  SECAGG_UNMASK_DOMAIN,
  SecaggSetupSchema,
  SecaggUnmaskSchema,
  advertOf,
  decodeRequestBody,
  maskCorrection,
  secaggSetsHash,
  secaggSetsSigningPayload,
  secaggThreshold,
  secaggUnmaskSigningPayload,
  setupMatchesAdvert,
  verifyAdvert,
  type SecaggAdvert,
  type SecaggSetup,
  type SecaggSetupTask,
  type SecaggUnmask,
  type SecaggUnmaskTask,
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
  /** Policy summaries received (job preflight), in order. */
  readonly policySummaries: Record<string, unknown>[] = [];
  readonly decryptions: Decryption[] = [];
  /** Setups and unmask answers received, by `job/round`. */
  readonly setups = new Map<string, SecaggSetup[]>();
  readonly unmasks = new Map<string, SecaggUnmask[]>();
  /** The threshold each round's setup tasks named, by `job/round`. */
  private readonly thresholds = new Map<string, number>();
  /** Rounds that open by themselves once every participant's setup is in (`openRound`). */
  private readonly opening = new Map<
    string,
    { keyId: string; spec: JobRoundSpec; participants: string[] }
  >();
  private readonly nonces = new Set<string>();
  /** When set, the next n requests fail with a network error (retry tests). */
  failNext = 0;
  /** Every answer to a task poll: 304 (unchanged since the tag the node sent) or 200 and its body. */
  readonly taskAnswers: { node: string; status: 200 | 304; body: string }[] = [];
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
    // As the real coordinator does (nodes/auth.ts): a compressed body is inflated, then checked.
    const body =
      typeof init.body === 'string' || init.body === undefined
        ? (init.body ?? '')
        : Buffer.from(
            decodeRequestBody(init.body, init.headers['content-encoding'], 32 << 20)
          ).toString('utf8');
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
      const text = JSON.stringify(out);
      if (init.method === 'GET' && u.pathname === '/v1/node/tasks') {
        // Tagged like the coordinator's answers (nodes/task-feed.ts), never held: 304 at once.
        const etag = `"${sha256Hex(text).slice(0, 32)}"`;
        const unchanged = init.headers['if-none-match'] === etag;
        this.taskAnswers.push({
          node: init.headers['x-fedmark-node'] ?? '',
          status: unchanged ? 304 : 200,
          body: unchanged ? '' : text,
        });
        if (unchanged) return new Response(null, { status: 304, headers: { etag } });
        return new Response(text, {
          status: 200,
          headers: { 'content-type': 'application/json', etag },
        });
      }
      return new Response(text, {
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
    if (method === 'GET' && path.split('?')[0] === '/v1/node/tasks')
      return { version: 1, tasks: this.tasks.get(node) ?? [] };
    if (method === 'POST' && path === '/v1/node/policy-summary') {
      this.policySummaries.push(JSON.parse(body) as Record<string, unknown>);
      return { version: 1 };
    }
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
      // As the coordinator does: each member gets only its own sealed data key.
      const hashes = sealedDataKeyHashes(b.sealedDataKeys);
      for (const [member, sealedDataKey] of Object.entries(b.sealedDataKeys)) {
        this.addTask(member, {
          type: 'key_install',
          keyId: b.keyId,
          heParams: 'bfv-8192-t40',
          members: this.members,
          generator: node,
          publicKey: b.publicKey,
          encryptedSecretKey: b.encryptedSecretKey,
          sealedDataKey,
          sealedDataKeyHashes: hashes,
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
    m = path.match(/^\/v1\/node\/jobs\/([^/]+)\/rounds\/(\d+)\/secagg\/(setup|unmask)$/);
    if (method === 'POST' && m) {
      const jobId = decodeURIComponent(m[1] as string);
      const round = Number(m[2]);
      return m[3] === 'setup'
        ? this.acceptSetup(node, signer, jobId, round, body)
        : this.acceptUnmask(node, signer, jobId, round, body);
    }
    m = path.match(/^\/v1\/node\/jobs\/([^/]+)\/rounds\/(\d+)\/(submission|refusal|decryption)$/);
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
        if (!prior) this.submissions.push(s);
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

  private acceptSetup(
    node: string,
    signer: Member,
    jobId: string,
    round: number,
    body: string
  ): unknown {
    const s = SecaggSetupSchema.parse(JSON.parse(body));
    if (s.node !== node || s.jobId !== jobId || s.round !== round)
      throw new ProtocolError('FORBIDDEN', 'setup names another node or round');
    if (!verifyAdvert(advertOf(s), signer.signingKey))
      throw new ProtocolError('INVALID_SIGNATURE', 'setup signature');
    if (!setupMatchesAdvert(s)) throw new ProtocolError('BAD_REQUEST', 'setup boxes');
    const key = `${jobId}/${round}`;
    const all = this.setups.get(key) ?? [];
    const prior = all.find((x) => x.node === node);
    if (prior && prior.signature !== s.signature)
      throw new ProtocolError('CONFLICT', 'different setup');
    if (!prior) this.setups.set(key, [...all, s]);
    this.drop(node, (t) => t.type === 'secagg_setup' && t.jobId === jobId && t.round === round);
    const open = this.opening.get(key);
    const received = new Set((this.setups.get(key) ?? []).map((x) => x.node));
    if (open?.participants.every((p) => received.has(p))) {
      // The setup phase closes: masked input opens for the nodes that advertised.
      this.opening.delete(key);
      for (const p of open.participants)
        this.addTask(p, this.roundTask(jobId, round, open.keyId, open.spec));
      return { version: 1, status: 'open' };
    }
    return { version: 1, status: 'setup' };
  }

  private acceptUnmask(
    node: string,
    signer: Member,
    jobId: string,
    round: number,
    body: string
  ): unknown {
    const u = SecaggUnmaskSchema.parse(JSON.parse(body));
    if (
      u.node !== node ||
      !verifyCanonical(
        SECAGG_UNMASK_DOMAIN,
        secaggUnmaskSigningPayload(u),
        u.signature,
        hexToBytes(signer.signingKey)
      )
    )
      throw new ProtocolError('INVALID_SIGNATURE', 'unmask signature');
    const key = `${jobId}/${round}`;
    const all = this.unmasks.get(key) ?? [];
    const prior = all.find((x) => x.node === node);
    if (prior && prior.signature !== u.signature)
      throw new ProtocolError('CONFLICT', 'different unmask answer');
    if (!prior) this.unmasks.set(key, [...all, u]);
    this.drop(node, (t) => t.type === 'secagg_unmask' && t.jobId === jobId && t.round === round);
    return { version: 1, status: 'decrypting' };
  }

  private signedSpec(jobId: string, round: number, spec: JobRoundSpec) {
    const specHash = roundSpecHash(spec);
    const specSignature = signCanonical(
      ROUND_SPEC_DOMAIN,
      roundSpecSigningPayload({ jobId, round, specHash }),
      this.key.secretKey
    );
    return { specHash, specSignature };
  }

  /**
   * A secagg_setup task as the real coordinator lists it during the round's setup phase: every
   * participant (default: every member), threshold a strict majority and at least minNodes.
   */
  setupTask(
    jobId: string,
    round: number,
    keyId: string,
    spec: JobRoundSpec,
    o: { participants?: string[]; threshold?: number } = {}
  ): SecaggSetupTask {
    const participants = o.participants ?? this.members.map((m) => m.name);
    const threshold = o.threshold ?? secaggThreshold(participants.length, spec.minNodes);
    this.thresholds.set(`${jobId}/${round}`, threshold);
    return {
      type: 'secagg_setup',
      jobId,
      round,
      keyId,
      participants: [...participants].sort(),
      threshold,
      ...this.signedSpec(jobId, round, spec),
    };
  }

  /**
   * Starts a round as the real coordinator runs it: a setup task for every participant, then,
   * once all their setups are in, a job_round task for each with every advertisement.
   */
  openRound(jobId: string, round: number, keyId: string, spec: JobRoundSpec): void {
    const participants = this.members.map((m) => m.name);
    this.opening.set(`${jobId}/${round}`, { keyId, spec, participants });
    for (const p of participants) this.addTask(p, this.setupTask(jobId, round, keyId, spec));
  }

  /** The advertisements of the setups received for a round (what closing the setup phase fixes). */
  adverts(jobId: string, round: number): SecaggAdvert[] {
    return (this.setups.get(`${jobId}/${round}`) ?? []).map(advertOf);
  }

  /** A job_round task as the real coordinator lists it (nodes/tasks.ts): with the round's adverts. */
  roundTask(
    jobId: string,
    round: number,
    keyId: string,
    spec: JobRoundSpec,
    adverts: SecaggAdvert[] = this.adverts(jobId, round)
  ): JobRoundTask {
    return {
      type: 'job_round',
      jobId,
      round,
      keyId,
      members: this.members,
      spec,
      ...this.signedSpec(jobId, round, spec),
      secagg: { adverts },
    };
  }

  /** The sets of a round signed as the coordinator signs them (jobs/secagg.ts signSets). */
  signSets(jobId: string, round: number, specHash: string, survivors: string[], dropped: string[]) {
    return signCanonical(
      SECAGG_SETS_DOMAIN,
      secaggSetsSigningPayload({ jobId, round, specHash, survivors, dropped }),
      this.key.secretKey
    );
  }

  /** A survivor's secagg_unmask task: the signed sets and the boxes the setups addressed to it. */
  unmaskTask(
    jobId: string,
    round: number,
    keyId: string,
    node: string,
    sets: { survivors: string[]; dropped: string[]; specHash?: string }
  ): SecaggUnmaskTask {
    const setups = this.setups.get(`${jobId}/${round}`) ?? [];
    const specHash = sets.specHash ?? setups[0]?.specHash ?? '';
    const named = new Set([...sets.survivors, ...sets.dropped]);
    return {
      type: 'secagg_unmask',
      jobId,
      round,
      keyId,
      specHash,
      survivors: [...sets.survivors],
      dropped: [...sets.dropped],
      setsSignature: this.signSets(jobId, round, specHash, sets.survivors, sets.dropped),
      shares: setups
        .filter((s) => named.has(s.node) && s.shares[node] !== undefined)
        .map((s) => ({ owner: s.node, box: s.shares[node] as string })),
    };
  }

  /**
   * The correction the coordinator adds to the decrypted masked sum (protocol maskCorrection),
   * rebuilt from the unmask answers received to exactly these sets.
   */
  correction(
    jobId: string,
    round: number,
    sets: { survivors: string[]; dropped: string[] },
    length: number,
    modulus: bigint
  ): Promise<bigint[]> {
    const key = `${jobId}/${round}`;
    const adverts = this.adverts(jobId, round);
    const full = { jobId, round, specHash: adverts[0]?.specHash ?? '', ...sets };
    const setsHash = secaggSetsHash(full);
    return maskCorrection({
      sets: full,
      length,
      modulus,
      threshold: this.thresholds.get(key) ?? adverts[0]?.threshold ?? 3,
      adverts,
      answers: (this.unmasks.get(key) ?? []).filter((u) => u.setsHash === setsHash),
    });
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
