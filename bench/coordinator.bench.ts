/**
 * Coordinator benchmark: homomorphic aggregation of 50 submissions of one BFV ciphertext each
 * (target < 1 s), the per-ciphertext load/validation time the coordinator spends on every
 * submission, and a full round close through the rounds engine (SQLite read of 50 stored
 * submissions + homomorphic sum + one transaction).
 */
import {
  SegmentStatsJobSpecSchema,
  generateSigningKeyPair,
  layoutOf,
  sha256Hex,
} from '@fedmark/protocol';
import { createCoordinator, heFor, openStore } from '../packages/coordinator/src/index.ts';
import { DEFAULT_HE_PARAMS } from '../packages/coordinator/src/keys/epochs.ts';

const SUBMISSIONS = 50;

export async function run(): Promise<Record<string, unknown>> {
  const t0 = performance.now();
  const he = await heFor(DEFAULT_HE_PARAMS);
  const sealContextSeconds = (performance.now() - t0) / 1000;
  const { secretKey } = he.generateKeys();
  const spec = SegmentStatsJobSpecSchema.parse({
    version: 1,
    kind: 'segment_stats',
    name: 'bench',
    query: {
      version: 1,
      kind: 'segment_stats',
      purpose: 'analytics',
      asOf: '2026-01-01',
      epsilon: 1,
      dimensions: [
        { field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] },
        { field: 'nes_status', categories: ['new', 'E0', 'S1', 'S2', 'S3'] },
      ],
      measures: [{ field: 'monetary', lower: 0, upper: 5000 }],
    },
  });
  const layout = layoutOf(spec.query);
  const contributions: Uint8Array[][] = [];
  for (let i = 0; i < SUBMISSIONS; i++)
    contributions.push(
      he.encryptSymmetric(
        Array.from({ length: layout.length }, (_, j) => BigInt(i + j)),
        secretKey
      )
    );

  const tLoad = performance.now();
  for (const c of contributions) he.loadCiphertext(c[0] as Uint8Array);
  const loadMsPerCiphertext = (performance.now() - tLoad) / SUBMISSIONS;

  const tSum = performance.now();
  const sum = he.addCiphertexts(contributions);
  const aggregate50Seconds = (performance.now() - tSum) / 1000;
  const expected = Array.from({ length: layout.length }, (_, j) =>
    BigInt((SUBMISSIONS * (SUBMISSIONS - 1)) / 2 + SUBMISSIONS * j)
  );
  const exact = he.decrypt(sum, secretKey, layout.length).every((v, j) => v === expected[j]);

  // Full round close through the engine, from 50 stored submissions.
  const store = openStore(':memory:');
  const now = Date.now();
  const c = createCoordinator({
    store,
    coordinatorKey: generateSigningKeyPair(),
    operatorToken: 'bench-token-0000',
    timers: false,
    log: () => {},
  });
  const names = Array.from({ length: SUBMISSIONS }, (_, i) => `n${String(i).padStart(2, '0')}`);
  store.transaction(() => {
    store.jobs.insertJob({
      id: 'j-bench',
      name: 'bench',
      kind: 'segment_stats',
      spec,
      keyId: 'k1',
      participants: names,
      status: 'running',
      createdAt: new Date(now).toISOString(),
      failure: null,
      rfmMeans: null,
    });
    store.jobs.insertRound({
      jobId: 'j-bench',
      round: 0,
      query: spec.query,
      layoutHash: layout.hash,
      layoutLength: layout.length,
      openedAt: now,
      deadlineAt: now + 60_000,
    });
    names.forEach((node, i) => {
      const ct = contributions[i] as Uint8Array[];
      const hashes = ct.map((x) => sha256Hex(x));
      const receipt = {
        version: 1 as const,
        jobId: 'j-bench',
        round: 0,
        node,
        ciphertextHashes: hashes,
        receivedAt: new Date(now).toISOString(),
        coordinatorSignature: '0'.repeat(128),
      };
      store.jobs.insertSubmission(
        {
          jobId: 'j-bench',
          round: 0,
          node,
          keyId: 'k1',
          layoutHash: layout.hash,
          // The bench measures aggregation only: no spec is checked on this path.
          specHash: '0'.repeat(64),
          ciphertextHashes: hashes,
          enforced: { minCohort: 10, epsilon: 1, noise: 'on' },
          signature: '0'.repeat(128),
          receivedAt: receipt.receivedAt,
          receipt,
        },
        ct
      );
    });
  });
  const tClose = performance.now();
  await c.engine.evaluate('j-bench', 0);
  const roundClose50Seconds = (performance.now() - tClose) / 1000;
  const closed = store.jobs.getRound('j-bench', 0)?.status === 'decrypting';
  store.close();

  return {
    submissions: SUBMISSIONS,
    layoutSlots: layout.length,
    ciphertextBytes: ((contributions[0] as Uint8Array[])[0] as Uint8Array).length,
    sealContextSeconds,
    loadMsPerCiphertext,
    aggregate50Seconds,
    aggregateExact: exact,
    roundClose50Seconds,
    roundClosed: closed,
    targetAggregate50Seconds: 1,
  };
}
