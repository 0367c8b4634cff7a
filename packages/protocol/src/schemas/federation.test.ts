import { describe, expect, it } from 'vitest';
import {
  Base64Schema,
  DecryptionSchema,
  JobSpecSchema,
  KeyBundleSchema,
  MAX_BLOB_BASE64_CHARS,
  SubmissionSchema,
  TaskSchema,
  keyBundleSigningPayload,
  keyMembersHash,
  submissionSigningPayload,
  SUBMISSION_DOMAIN,
  type Submission,
} from './federation.ts';
import { signCanonical, signingKeyPairFromSeed, verifyCanonical } from '../signing.ts';
import { bytesToHex, hexToBytes, sha256Hex, toBase64 } from '../hashing.ts';
import { canonicalBytes, type Canonical } from '../encoding.ts';
import { nodeRequestSigningPayload } from '../auth/node-request.ts';
import {
  decryptionSigningPayload,
  enrollSigningPayload,
  keyAckSigningPayload,
  receiptSigningPayload,
  refusalSigningPayload,
} from './federation.ts';
import { contributorSetSigningPayload, roundSpecSigningPayload } from './round-binding.ts';
import vectors from '../../test-vectors/federation.json' with { type: 'json' };

const H = 'ab'.repeat(32);
const SIG = 'cd'.repeat(64);
const ct = toBase64(new Uint8Array([1, 2, 3, 4, 5, 6]));
const query = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-01-01',
  epsilon: 0.5,
} as const;

const submission: Submission = {
  version: 1,
  jobId: 'j1',
  round: 0,
  node: 'bank',
  keyId: 'k1',
  layoutHash: H,
  specHash: 'ef'.repeat(32),
  ciphertexts: [ct],
  ciphertextHashes: [sha256Hex(new Uint8Array([1, 2, 3, 4, 5, 6]))],
  enforced: { minCohort: 10, epsilon: 0.5, noise: 'on' },
  signature: SIG,
};

describe('federation schemas', () => {
  it('applies job spec defaults (minNodes 3, deadline 120 s, straggler wait 2 s, noise on)', () => {
    const spec = JobSpecSchema.parse({ version: 1, kind: 'segment_stats', query });
    expect(spec).toMatchObject({
      minNodes: 3,
      deadlineMs: 120_000,
      stragglerWaitMs: 2000,
      noise: 'on',
      name: 'job',
    });
    expect(spec.nodes).toBeUndefined();
  });

  it('refuses minNodes below the floor of 3 and an rfm job without its three measures', () => {
    const low = JobSpecSchema.safeParse({ version: 1, kind: 'segment_stats', query, minNodes: 2 });
    expect(low.success).toBe(false);
    expect(low.error?.issues[0]?.path).toEqual(['minNodes']);
    const rfm = JobSpecSchema.safeParse({
      version: 1,
      kind: 'rfm',
      query: { ...query, measures: [{ field: 'monetary', lower: 0, upper: 1000 }] },
    });
    expect(rfm.success).toBe(false);
    expect(rfm.error?.issues.map((i) => i.message)).toEqual([
      'an rfm job needs a measure on recency_days (with clipping bounds)',
      'an rfm job needs a measure on frequency (with clipping bounds)',
    ]);
  });

  it('validates base64 blobs by alphabet, padding and length', () => {
    expect(Base64Schema.safeParse('AQIDBAUG').success).toBe(true);
    for (const bad of [
      '',
      'AQI',
      'AQ!D',
      'AQIDBA=G',
      '====',
      'A'.repeat(MAX_BLOB_BASE64_CHARS + 4),
    ]) {
      expect(Base64Schema.safeParse(bad).success, JSON.stringify(bad.slice(0, 10))).toBe(false);
    }
  });

  it('requires as many hashes as ciphertexts and at most 64 ciphertexts', () => {
    expect(SubmissionSchema.parse(submission)).toEqual(submission);
    const r = SubmissionSchema.safeParse({ ...submission, ciphertextHashes: [H, H] });
    expect(r.error?.issues[0]?.message).toBe(
      'ciphertexts and ciphertextHashes must have the same length'
    );
    expect(
      SubmissionSchema.safeParse({
        ...submission,
        ciphertexts: Array(65).fill(ct),
        ciphertextHashes: Array(65).fill(H),
      }).success
    ).toBe(false);
  });

  it('rejects hostile values in every field', () => {
    const hostile: [string, unknown][] = [
      ['version', 2],
      ['jobId', '../etc'],
      ['round', -1],
      ['keyId', 'key1'],
      ['layoutHash', 'AB'.repeat(32)],
      ['signature', 'cd'],
      ['enforced', { minCohort: 10, epsilon: -1, noise: 'on' }],
      ['node', ''],
    ];
    for (const [field, value] of hostile) {
      expect(SubmissionSchema.safeParse({ ...submission, [field]: value }).success, field).toBe(
        false
      );
    }
    expect(
      DecryptionSchema.safeParse({
        version: 1,
        jobId: 'j',
        round: 0,
        node: 'n',
        layoutHash: H,
        values: ['1.5'],
        signature: SIG,
      }).success
    ).toBe(false);
    expect(
      DecryptionSchema.safeParse({
        version: 1,
        jobId: 'j',
        round: 0,
        node: 'n',
        layoutHash: H,
        values: ['-12', '0'],
        signature: SIG,
      }).success
    ).toBe(true);
  });

  it('submission signing payload excludes ciphertexts and signature, so a signature binds the hashes', () => {
    const kp = signingKeyPairFromSeed(new Uint8Array(32).fill(3));
    const sig = signCanonical(
      SUBMISSION_DOMAIN,
      submissionSigningPayload(submission),
      kp.secretKey
    );
    const ref = { ...submission, ciphertexts: undefined, signature: sig };
    expect(
      verifyCanonical(SUBMISSION_DOMAIN, submissionSigningPayload(ref), sig, kp.publicKey)
    ).toBe(true);
    const tampered = { ...ref, ciphertextHashes: [H] };
    expect(
      verifyCanonical(SUBMISSION_DOMAIN, submissionSigningPayload(tampered), sig, kp.publicKey)
    ).toBe(false);
  });

  it('key bundle payload signs hashes of the decoded blobs, the sealed data keys included', () => {
    const dataKey = toBase64(new Uint8Array(72).fill(9));
    const bundle = KeyBundleSchema.parse({
      version: 2,
      keyId: 'k2',
      publicKey: ct,
      encryptedSecretKey: toBase64(new Uint8Array([7, 7])),
      sealedDataKeys: { b: dataKey },
      membersHash: 'ab'.repeat(32),
      signature: SIG,
    });
    expect(keyBundleSigningPayload(bundle)).toEqual({
      keyId: 'k2',
      publicKeyHash: sha256Hex(new Uint8Array([1, 2, 3, 4, 5, 6])),
      encryptedSecretKeyHash: sha256Hex(new Uint8Array([7, 7])),
      sealedDataKeyHashes: { b: sha256Hex(new Uint8Array(72).fill(9)) },
      membersHash: 'ab'.repeat(32),
    });
    const { membersHash: _m, ...unsigned } = bundle;
    expect(KeyBundleSchema.safeParse(unsigned).success).toBe(false);
    // Version 1 (the whole secret key boxed per member) is not accepted any more.
    expect(
      KeyBundleSchema.safeParse({ ...bundle, version: 1, sealed: { b: dataKey } }).success
    ).toBe(false);
  });

  it('key members hash ignores order and changes with any name or key', () => {
    const x = { name: 'a', signingKey: '11'.repeat(32), boxKey: '22'.repeat(32) };
    const y = { name: 'b', signingKey: '33'.repeat(32), boxKey: '44'.repeat(32) };
    const h = keyMembersHash([x, y]);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(keyMembersHash([y, x])).toBe(h);
    expect(keyMembersHash([x, { ...y, boxKey: '55'.repeat(32) }])).not.toBe(h);
    expect(keyMembersHash([x, { ...y, signingKey: '55'.repeat(32) }])).not.toBe(h);
    expect(keyMembersHash([x, { ...y, name: 'c' }])).not.toBe(h);
    expect(keyMembersHash([x])).not.toBe(h);
  });

  it('discriminates tasks by type and refuses unknown types', () => {
    const member = { name: 'a', signingKey: H, boxKey: H };
    expect(
      TaskSchema.parse({
        type: 'key_generate',
        keyId: 'k1',
        heParams: 'bfv-8192-t40',
        members: [member],
      }).type
    ).toBe('key_generate');
    expect(TaskSchema.safeParse({ type: 'steal_keys', keyId: 'k1' }).success).toBe(false);
    expect(
      TaskSchema.safeParse({
        type: 'key_generate',
        keyId: 'k1',
        heParams: 'ckks-weak',
        members: [member],
      }).success
    ).toBe(false);
  });
});

describe('federation signing test vectors (test-vectors/federation.json)', () => {
  const kp = signingKeyPairFromSeed(hexToBytes(vectors.seed));
  const payloadOf: Record<string, (m: never) => Canonical> = {
    submission: submissionSigningPayload,
    refusal: refusalSigningPayload,
    decryption: decryptionSigningPayload,
    'key-ack': keyAckSigningPayload,
    'key-bundle-v2': keyBundleSigningPayload,
    enroll: enrollSigningPayload,
    receipt: receiptSigningPayload,
    'node-request': nodeRequestSigningPayload,
    'round-spec': roundSpecSigningPayload,
    'contributor-set': contributorSetSigningPayload,
  };

  it('uses the frozen key', () => {
    expect(bytesToHex(kp.publicKey)).toBe(vectors.publicKey);
  });

  it.each(vectors.cases.map((c) => [c.name, c] as const))(
    '%s: payload bytes and signature match the frozen vector',
    (name, c) => {
      const fn = payloadOf[name];
      expect(fn).toBeTypeOf('function');
      const payload = (fn as (m: never) => Canonical)(c.message as never);
      expect(bytesToHex(canonicalBytes(c.domain, payload))).toBe(c.canonicalHex);
      expect(signCanonical(c.domain, payload, kp.secretKey)).toBe(c.signature);
      expect(verifyCanonical(c.domain, payload, c.signature, kp.publicKey)).toBe(true);
    }
  );
});

describe('train job and round specs', () => {
  const train = {
    version: 1,
    kind: 'train',
    purpose: 'model_training',
    table: 'churn',
    label: { column: 'churn', positive: 'Yes' },
    features: [{ type: 'numeric', column: 'tenure', lower: 0, upper: 72 }],
    rounds: 2,
    optimiser: { kind: 'gd', learningRate: 4 },
    clipNorm: 1,
    epsilon: 1,
    minNodes: 3,
  };
  it('parses a train job with its TrainSpec and job defaults', () => {
    const spec = JobSpecSchema.parse({ version: 1, kind: 'train', train });
    expect(spec.kind).toBe('train');
    expect(spec.minNodes).toBe(3);
    if (spec.kind === 'train') expect(spec.train.validation).toEqual({ fraction: 0.2, seed: 0 });
  });
  it("reports a bad TrainSpec field by its path, and a job minNodes below the spec's", () => {
    const bad = JobSpecSchema.safeParse({
      version: 1,
      kind: 'train',
      train: { ...train, features: [{ type: 'numeric', column: 'tenure', lower: 5, upper: 1 }] },
    });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['train.features.0.upper', 'upper must be greater than lower'],
    ]);
    const low = JobSpecSchema.safeParse({
      version: 1,
      kind: 'train',
      minNodes: 3,
      train: { ...train, minNodes: 5 },
    });
    expect(low.error?.issues.map((i) => i.message)).toEqual([
      "minNodes 3 is below the model spec's train.minNodes 5",
    ]);
  });
  it('accepts a job_round task carrying a train round, and refuses one with an unknown phase', () => {
    const task = {
      type: 'job_round',
      jobId: 'j-1',
      round: 0,
      keyId: 'k1',
      members: [{ name: 'a', signingKey: H, boxKey: H }],
      spec: {
        name: 'std',
        minNodes: 3,
        noise: 'on',
        deadline: '2026-01-01T00:00:00.000Z',
        query: {
          kind: 'train_round',
          name: 'std',
          purpose: 'model_training',
          epsilon: 0.1,
          phase: 'standardisation',
          train,
          model: null,
          layoutHash: H,
        },
      },
      specHash: H,
      specSignature: SIG,
      secagg: {
        adverts: ['a', 'b'].map((node) => ({
          jobId: 'j-1',
          round: 0,
          node,
          specHash: H,
          threshold: 3,
          participantsHash: H,
          maskPublicKey: H,
          selfCommitment: H,
          shareHashes: { a: H, b: H },
          signature: SIG,
        })),
      },
    };
    const parsed = TaskSchema.parse(task);
    // Secure aggregation is not optional: a job_round task without advertisements is malformed.
    const { secagg: _s, ...bare } = task;
    expect(TaskSchema.safeParse(bare).success).toBe(false);
    expect(parsed.type === 'job_round' && parsed.spec.query.kind).toBe('train_round');
    expect(
      TaskSchema.safeParse({
        ...task,
        spec: { ...task.spec, query: { ...task.spec.query, phase: 'newton' } },
      }).success
    ).toBe(false);
  });
});
