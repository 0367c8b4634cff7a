import { beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentStatsJobSpecSchema,
  RECEIPT_DOMAIN,
  layoutOf,
  receiptSigningPayload,
  roundSpecHash,
  signingKeyPairFromSeed,
  toBase64,
  verifyCanonical,
  type He,
} from '@fedmark/protocol';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { roundSpecOf } from './round-binding.ts';
import {
  fakeSealBlob,
  federation,
  harness,
  json,
  makeRefusal,
  makeSubmission,
  specHashOf,
  testNode,
  type Harness,
  type TestNode,
} from '../_testing.ts';
import { masked, setupRound } from './_secagg-testing.ts';

const [a, b, c, outsider, d] = [
  testNode('alpha', 21),
  testNode('beta', 22),
  testNode('gamma', 23),
  testNode('zeta', 24),
  testNode('delta', 25),
] as const;
const spec = {
  version: 1,
  kind: 'segment_stats',
  name: 'lifecycle',
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 0.5,
    dimensions: [
      { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
    ],
    measures: [{ field: 'monetary', lower: 0, upper: 1000 }],
  },
};
const layout = layoutOf(SegmentStatsJobSpecSchema.parse(spec).query);
const values = (k: number) => Array.from({ length: layout.length }, (_, i) => BigInt((i + 1) * k));

let he: He;
let keys: { secretKey: Uint8Array; publicKey: Uint8Array };

/** A job over alpha, beta and gamma whose round 0 closed its secure-aggregation setup (all three). */
async function setup(): Promise<{ h: Harness; jobId: string; keyId: string }> {
  const h = harness({ heFor });
  const keyId = await federation(h, [a, b, c], keys.publicKey);
  const res = await h.op('POST', '/v1/jobs', spec);
  expect(res.status).toBe(201);
  const jobId = (await res.json()).jobId;
  await setupRound(h, [a, b, c], jobId, 0);
  expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('open');
  return { h, jobId, keyId };
}

/** What node `n` encrypts for round 0: `values(k)` under its secure-aggregation masks. */
const input = (h: Harness, n: TestNode, jobId: string, k: number) =>
  masked(h, n, jobId, 0, values(k));

const path = (jobId: string, kind = 'submission', round = 0) =>
  `/v1/node/jobs/${jobId}/rounds/${round}/${kind}`;

beforeAll(async () => {
  he = await heFor(DEFAULT_HE_PARAMS);
  keys = he.generateKeys();
});

describe('submissions', () => {
  it('stores a valid submission and answers with a coordinator-signed receipt; an identical resend gets the same receipt', async () => {
    const { h, jobId, keyId } = await setup();
    const sub = makeSubmission(he, keys.secretKey, a, {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: input(h, a, jobId, 1),
    });
    const res = await h.node(a, 'POST', path(jobId), sub);
    expect(res.status).toBe(200);
    const receipt = await res.json();
    expect(receipt).toMatchObject({
      version: 1,
      jobId,
      round: 0,
      node: 'alpha',
      ciphertextHashes: sub.ciphertextHashes,
    });
    const coordinatorPk = signingKeyPairFromSeed(new Uint8Array(32).fill(99)).publicKey;
    expect(
      verifyCanonical(
        RECEIPT_DOMAIN,
        receiptSigningPayload(receipt),
        receipt.coordinatorSignature,
        coordinatorPk
      )
    ).toBe(true);

    h.clock.now += 1000;
    const again = await h.node(a, 'POST', path(jobId), sub);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual(receipt);

    const different = makeSubmission(he, keys.secretKey, a, {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: input(h, a, jobId, 2),
    });
    const conflict = await h.node(a, 'POST', path(jobId), different);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toEqual({
      error: {
        code: 'CONFLICT',
        message: `node alpha already submitted different ciphertexts for job ${jobId} round 0`,
      },
    });
    expect(h.store.jobs.submissions(jobId, 0).map((s) => s.node)).toEqual(['alpha']);
    const events = await json(await h.op('GET', `/v1/jobs/${jobId}/events`));
    expect(events.events.map((e: { type: string }) => e.type)).toEqual([
      'job_created',
      'round_opened',
      'secagg_setup_received',
      'secagg_setup_received',
      'secagg_setup_received',
      'secagg_setup_closed',
      'submission_accepted',
    ]);
  });

  it('refuses a wrong layout hash (LAYOUT_MISMATCH), a wrong key (KEY_MISMATCH) and garbage ciphertexts (BAD_CIPHERTEXT)', async () => {
    const { h, jobId, keyId } = await setup();
    const base = {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: values(1),
    };
    const layoutRes = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, { ...base, layoutHash: 'ab'.repeat(32) })
    );
    expect(layoutRes.status).toBe(400);
    expect((await layoutRes.json()).error.code).toBe('LAYOUT_MISMATCH');
    const keyRes = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, { ...base, keyId: 'k9' })
    );
    expect(keyRes.status).toBe(400);
    expect(await keyRes.json()).toEqual({
      error: {
        code: 'KEY_MISMATCH',
        message: `job ${jobId} runs on key ${keyId}, submission is under k9`,
      },
    });
    const random = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, {
        ...base,
        ciphertexts: [new Uint8Array(300).fill(42)],
      })
    );
    expect(random.status).toBe(400);
    expect(await random.json()).toEqual({
      error: { code: 'BAD_CIPHERTEXT', message: 'ciphertexts[0]: not a SEAL object (bad magic)' },
    });
    const headerOnly = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, { ...base, ciphertexts: [fakeSealBlob(400)] })
    );
    expect(headerOnly.status).toBe(400);
    expect((await headerOnly.json()).error.code).toBe('BAD_CIPHERTEXT');
    const two = he.encryptSymmetric(values(1), keys.secretKey);
    const tooMany = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, { ...base, ciphertexts: [...two, ...two] })
    );
    expect(await tooMany.json()).toEqual({
      error: {
        code: 'BAD_CIPHERTEXT',
        message: `2 ciphertexts for a ${layout.length}-slot layout, expected 1`,
      },
    });
    const sub = makeSubmission(he, keys.secretKey, a, base);
    const mismatched = await h.node(a, 'POST', path(jobId), {
      ...sub,
      ciphertexts: [toBase64(he.encryptSymmetric(values(3), keys.secretKey)[0] as Uint8Array)],
    });
    expect(await mismatched.json()).toEqual({
      error: {
        code: 'BAD_CIPHERTEXT',
        message: 'ciphertexts[0] does not match ciphertextHashes[0]',
      },
    });
    expect(h.store.jobs.submissions(jobId, 0)).toEqual([]);
  });

  it('answers malformed JSON and schema violations with 400 BAD_REQUEST, undecodable base64 with BAD_CIPHERTEXT, and stays up', async () => {
    const { h, jobId, keyId } = await setup();
    const malformed = await h.node(a, 'POST', path(jobId), undefined, '{"version":1,');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error).toMatchObject({
      code: 'BAD_REQUEST',
      message: expect.stringMatching(/^malformed JSON in request body/),
    });
    const sub = makeSubmission(he, keys.secretKey, a, {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: values(1),
    });
    const schema = await h.node(a, 'POST', path(jobId), { ...sub, round: 'zero' });
    expect(schema.status).toBe(400);
    expect(await schema.json()).toEqual({
      error: {
        code: 'BAD_REQUEST',
        message: 'round: Invalid input: expected number, received string',
      },
    });
    const b64 = await h.node(a, 'POST', path(jobId), { ...sub, ciphertexts: ['@@@@'] });
    expect(b64.status).toBe(400);
    expect(await b64.json()).toEqual({
      error: { code: 'BAD_CIPHERTEXT', message: 'ciphertexts.0: expected standard base64' },
    });
    const notList = await h.node(a, 'POST', path(jobId), { ...sub, ciphertexts: 'AAAA' });
    expect((await notList.json()).error.code).toBe('BAD_REQUEST');
    expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
  });

  it('refuses bodies over 32 MiB: 401 from the headers when unsigned, 413 while reading when signed', async () => {
    const { h, jobId } = await setup();
    const huge = 'x'.repeat(32 * 1024 * 1024 + 1);
    // Authentication comes first and needs only the headers (nodes/pre-auth.test.ts).
    const unsigned = await h.coordinator.app.request(path(jobId), {
      method: 'POST',
      body: huge,
      headers: { 'content-type': 'application/json' },
    });
    expect(unsigned.status).toBe(401);
    const res = await h.node(a, 'POST', path(jobId), undefined, huge);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: { code: 'PAYLOAD_TOO_LARGE', message: 'request body exceeds 33554432 bytes' },
    });
  });

  it('refuses outsiders (401), submitting for someone else (403) and forged submission signatures (401)', async () => {
    const { h, jobId, keyId } = await setup();
    const base = {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: values(1),
    };
    expect(
      (
        await h.node(
          outsider,
          'POST',
          path(jobId),
          makeSubmission(he, keys.secretKey, outsider, base)
        )
      ).status
    ).toBe(401);
    const forOther = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, b, base)
    );
    expect(forOther.status).toBe(403);
    expect(await forOther.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'node alpha cannot submit for beta' },
    });
    const forged = {
      ...makeSubmission(he, keys.secretKey, a, base),
      signature: makeSubmission(he, keys.secretKey, b, base).signature,
    };
    const f = await h.node(a, 'POST', path(jobId), forged);
    expect(f.status).toBe(401);
    expect((await f.json()).error.code).toBe('INVALID_SIGNATURE');
  });

  it('refuses a submission or refusal signed for another round spec than its own (409 CONFLICT), storing nothing', async () => {
    const { h, jobId, keyId } = await setup();
    const roundSpec = specHashOf(h, jobId, 0);
    const job = h.store.jobs.getJob(jobId) as NonNullable<ReturnType<typeof h.store.jobs.getJob>>;
    const r = h.store.jobs.getRound(jobId, 0) as NonNullable<
      ReturnType<typeof h.store.jobs.getRound>
    >;
    // The same layout, another asOf: what a coordinator sending nodes different specs would do.
    const other = roundSpecHash({
      ...roundSpecOf(job, r),
      query: { ...r.query, asOf: '2025-12-01' } as typeof r.query,
    });
    expect(other).not.toBe(roundSpec);
    const message = (what: string) =>
      `${what} names round spec ${other.slice(0, 12)}…, round 0 of job ${jobId} has spec ${roundSpec.slice(0, 12)}…`;
    const sub = await h.node(
      a,
      'POST',
      path(jobId),
      makeSubmission(he, keys.secretKey, a, {
        jobId,
        round: 0,
        keyId,
        layoutHash: layout.hash,
        specHash: other,
        values: values(1),
      })
    );
    expect(sub.status).toBe(409);
    expect(await sub.json()).toEqual({
      error: { code: 'CONFLICT', message: message('submission') },
    });
    const ref = await h.node(
      b,
      'POST',
      path(jobId, 'refusal'),
      makeRefusal(b, { jobId, round: 0, specHash: other }, 'not for this spec')
    );
    expect(ref.status).toBe(409);
    expect(await ref.json()).toEqual({ error: { code: 'CONFLICT', message: message('refusal') } });
    expect(h.store.jobs.submissions(jobId, 0)).toEqual([]);
    expect(h.store.jobs.getRefusal(jobId, 0, 'beta')).toBeUndefined();
    // The round's own spec hash is accepted from the same nodes, and stored with the submission.
    const good = makeSubmission(he, keys.secretKey, a, {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: roundSpec,
      values: input(h, a, jobId, 1),
    });
    expect((await h.node(a, 'POST', path(jobId), good)).status).toBe(200);
    expect(h.store.jobs.getSubmission(jobId, 0, 'alpha')?.specHash).toBe(roundSpec);
  });

  it('records a signed refusal with its reason and shows it in the job status', async () => {
    const { h, jobId } = await setup();
    const res = await h.node(
      c,
      'POST',
      path(jobId, 'refusal'),
      makeRefusal(
        c,
        { jobId, round: 0, specHash: specHashOf(h, jobId, 0) },
        'epsilon 0.5 exceeds the remaining monthly budget 0.2'
      )
    );
    expect(res.status).toBe(200);
    expect((await res.json()).ciphertextHashes).toEqual([]);
    const status = await json(await h.op('GET', `/v1/jobs/${jobId}`));
    expect(status.rounds[0].nodes).toEqual([
      { name: 'alpha', state: 'pending', reason: null },
      { name: 'beta', state: 'pending', reason: null },
      {
        name: 'gamma',
        state: 'refused',
        reason: 'epsilon 0.5 exceeds the remaining monthly budget 0.2',
      },
    ]);
    // With 3 participants, minNodes 3 and one refusal the quorum is unreachable: the job fails at
    // once, naming who refused and why.
    expect(status.status).toBe('failed');
    expect(status.failure).toEqual({
      code: 'QUORUM_NOT_MET',
      message:
        '0 of 3 required nodes submitted and 1 refused: the minimum can no longer be reached; refused: gamma (epsilon 0.5 exceeds the remaining monthly budget 0.2)',
    });
    expect(status.excluded).toEqual([
      {
        node: 'gamma',
        rounds: [0],
        reason: 'epsilon 0.5 exceeds the remaining monthly budget 0.2',
      },
    ]);
  });

  it('takes no input during the setup phase (409 CONFLICT), and none from a participant that sent no setup (403 FORBIDDEN)', async () => {
    const h = harness({ heFor });
    const keyId = await federation(h, [a, b, c, d], keys.publicKey);
    const res = await h.op('POST', '/v1/jobs', spec);
    expect(res.status).toBe(201);
    const jobId = (await res.json()).jobId;
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('setup');
    const sub = (n: TestNode) =>
      makeSubmission(he, keys.secretKey, n, {
        jobId,
        round: 0,
        keyId,
        layoutHash: layout.hash,
        specHash: specHashOf(h, jobId, 0),
        values: values(1),
      });
    const setupPhase = {
      error: {
        code: 'CONFLICT',
        message: `round 0 of job ${jobId} is in its secure-aggregation setup phase: no input yet`,
      },
    };
    const early = await h.node(a, 'POST', path(jobId), sub(a));
    expect(early.status).toBe(409);
    expect(await early.json()).toEqual(setupPhase);
    const earlyRefusal = await h.node(
      b,
      'POST',
      path(jobId, 'refusal'),
      makeRefusal(b, { jobId, round: 0, specHash: specHashOf(h, jobId, 0) }, 'too early')
    );
    expect(earlyRefusal.status).toBe(409);
    expect(await earlyRefusal.json()).toEqual(setupPhase);
    // Three of four (the threshold) send a setup; the straggler wait closes the phase without delta.
    await setupRound(h, [a, b, c], jobId, 0);
    const r = h.store.jobs.getRound(jobId, 0);
    expect(r?.status).toBe('open');
    expect(r?.secagg?.adverts.map((x) => x.node)).toEqual(['alpha', 'beta', 'gamma']);
    const noSetup = await h.node(d, 'POST', path(jobId), sub(d));
    expect(noSetup.status).toBe(403);
    expect(await noSetup.json()).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: `node delta sent no secure-aggregation setup for job ${jobId} round 0`,
      },
    });
    // Nor a refusal: the input phase expects answers from the three advertisers only, and a
    // refusal counted against them would make the quorum look unreachable.
    const noSetupRefusal = await h.node(
      d,
      'POST',
      path(jobId, 'refusal'),
      makeRefusal(d, { jobId, round: 0, specHash: specHashOf(h, jobId, 0) }, 'no setup sent')
    );
    expect(noSetupRefusal.status).toBe(403);
    expect(await noSetupRefusal.json()).toEqual({
      error: {
        code: 'FORBIDDEN',
        message: `node delta sent no secure-aggregation setup for job ${jobId} round 0`,
      },
    });
    expect(h.store.jobs.getRound(jobId, 0)?.status).toBe('open');
    expect(h.store.jobs.getRefusal(jobId, 0, 'delta')).toBeUndefined();
    const tasks = (await json(await h.node(d, 'GET', '/v1/node/tasks'))).tasks;
    expect(tasks).toEqual([]);
    expect(h.store.jobs.submissions(jobId, 0)).toEqual([]);
    expect(h.store.jobs.getRefusal(jobId, 0, 'beta')).toBeUndefined();
    // A node whose setup closed the phase submits its masked input.
    const good = makeSubmission(he, keys.secretKey, a, {
      jobId,
      round: 0,
      keyId,
      layoutHash: layout.hash,
      specHash: specHashOf(h, jobId, 0),
      values: input(h, a, jobId, 1),
    });
    expect((await h.node(a, 'POST', path(jobId), good)).status).toBe(200);
  });
});
