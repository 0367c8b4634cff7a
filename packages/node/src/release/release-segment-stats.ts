import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  IdSchema,
  ProtocolError,
  canonicalHash,
  layoutOf,
  type Policy,
  type SegmentLayout,
  type SegmentQuery,
} from '@fedmark/protocol';
import { computeSegmentVector, type UnitSource } from '../analytics/index.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { evaluateRound, type NoiseMode } from '../policy/index.ts';
import { chargeBudget, checkBudget, jobSpentMicro } from '../privacy/budget.ts';
import { blockNoiseScale, formatScale } from '../privacy/discrete-laplace.ts';
import { addNoise } from '../privacy/noise.ts';
import { ensurePrivacySchema } from '../privacy/schema.ts';
import { findRelease, insertRelease, type StoredRelease } from './release-store.ts';
import { suppressSmallCells } from './suppress.ts';

export interface ReleaseContext {
  db: Database.Database;
  dir?: string;
  identity: Pick<NodeIdentity, 'name'>;
  policy: Policy;
}

export interface ReleaseRequest {
  query: SegmentQuery;
  source: UnitSource;
  jobId: string;
  round: number;
  noise?: NoiseMode;
  /** The federated job's minimum number of contributing nodes; absent for a local query. */
  minNodes?: number;
  at?: Date;
}

export interface Release {
  jobId: string;
  round: number;
  layoutHash: string;
  /** Noisy slot values in layout order (exact only under the test-only noise switch). */
  values: bigint[];
  /** Noise variance per slot (0 without noise). */
  variance: number[];
  epsilonMicro: number;
  noise: NoiseMode;
  /** Cells below the minimum cohort: a count only, kept on the node (never sent). */
  suppressedCells: number;
  /** Rows counted locally: for the local operator only, never sent (it is not noised). */
  rows: number;
  /** True when this job round had already been released: nothing was computed or charged again. */
  reused: boolean;
}

function toRelease(s: StoredRelease, reused: boolean): Release {
  const { jobId, round, layoutHash, values, variance, epsilonMicro, noise, suppressedCells, rows } = s;
  return { jobId, round, layoutHash, values, variance, epsilonMicro, noise, suppressedCells, rows, reused };
}

/** Hash of the released values as decimal strings: auditors can match it against what was sent. */
export function releaseValuesHash(values: readonly bigint[]): string {
  return canonicalHash('release-values', values.map(String));
}

function refuse(db: Database.Database, jobId: string, round: number, reason: string, at: Date): void {
  appendLedgerEntry(db, { type: 'job_refused', body: { jobId, round, kind: 'segment_stats', reason }, at });
}

function reusable(existing: StoredRelease, layout: SegmentLayout): Release {
  if (existing.layoutHash !== layout.hash) {
    throw new ProtocolError(
      'CONFLICT',
      `job ${existing.jobId} round ${existing.round} was already released for layout ${existing.layoutHash.slice(0, 12)}; a different query cannot reuse the id`
    );
  }
  return toRelease(existing, true);
}

/**
 * The only path by which a statistic leaves the node. In order: (1) the policy decides, and a
 * refusal is a `job_refused` ledger entry; (2) a job round already released is returned as it
 * was, neither recomputed nor charged again (a node re-sending after a crash pays once); (3) the
 * budget is checked before any data is read; (4) the exact vector is computed and cells under
 * the minimum cohort are zeroed; (5) every slot is noised; (6) one IMMEDIATE transaction charges
 * the budget, stores the release and writes `job_accepted` + `release` ledger entries. If
 * anything throws, nothing of (6) is written.
 */
export function releaseSegmentStats(ctx: ReleaseContext, req: ReleaseRequest): Release {
  const { db, policy } = ctx;
  ensurePrivacySchema(db);
  const jobId = IdSchema.safeParse(req.jobId);
  if (!jobId.success) throw new ProtocolError('BAD_REQUEST', `jobId: ${jobId.error.issues[0]?.message ?? 'invalid'}`);
  if (!Number.isSafeInteger(req.round) || req.round < 0) throw new ProtocolError('BAD_REQUEST', `round: expected an integer >= 0, got ${req.round}`);
  const { query: q, round } = req;
  const id = jobId.data;
  const at = req.at ?? new Date();
  const noise: NoiseMode = req.noise ?? 'on';
  // The layout is public (derived from the query alone), so computing it reads no data.
  const layout = layoutOf(q);
  const epsilonMicro = layout.blocks.reduce((s, b) => s + b.epsilonMicro, 0);

  const decision = evaluateRound(policy, {
    kind: 'segment_stats',
    purpose: q.purpose,
    epsilonMicro,
    noise,
    jobSpentMicro: jobSpentMicro(db, id, round),
    ...(req.minNodes !== undefined ? { minNodes: req.minNodes } : {}),
  });
  if (!decision.ok) {
    refuse(db, id, round, decision.reason, at);
    throw new ProtocolError('POLICY_REFUSED', decision.reason);
  }

  const existing = findRelease(db, id, round);
  if (existing) return reusable(existing, layout);

  try {
    checkBudget(db, policy, q.purpose, epsilonMicro, at);
  } catch (err) {
    if (err instanceof ProtocolError) refuse(db, id, round, err.message, at);
    throw err;
  }

  const exact = computeSegmentVector(q, req.source);
  if (exact.layout.hash !== layout.hash) throw new ProtocolError('INTERNAL', 'analytics produced a vector for a different layout');
  const kept = suppressSmallCells(layout, exact.values, exact.cellCounts, policy.minCohort);
  const noisy = noise === 'on' ? addNoise(layout, kept.values) : { values: kept.values, variance: new Array<number>(layout.length).fill(0) };

  return db
    .transaction((): Release => {
      // A concurrent release of the same round may have committed since the check above.
      const raced = findRelease(db, id, round);
      if (raced) return reusable(raced, layout);
      appendLedgerEntry(db, {
        type: 'job_accepted',
        body: { jobId: id, round, kind: 'segment_stats', name: q.name, purpose: q.purpose, layoutHash: layout.hash, epsilonMicro, noise, minNodes: req.minNodes ?? null },
        at,
      });
      const entry = appendLedgerEntry(db, {
        type: 'release',
        body: {
          jobId: id,
          round,
          layoutHash: layout.hash,
          valuesHash: releaseValuesHash(noisy.values),
          epsilonMicro,
          noiseScales: layout.blocks.map((b) => ({ block: b.name, epsilonMicro: b.epsilonMicro, scale: formatScale(blockNoiseScale(b)) })),
          minCohort: policy.minCohort,
          suppressedCells: kept.suppressedCells,
          noise,
        },
        at,
      });
      chargeBudget(db, policy, { purpose: q.purpose, epsilonMicro, jobId: id, round, at, ledgerSeq: entry.seq });
      const stored: StoredRelease = {
        jobId: id,
        round,
        purpose: q.purpose,
        layoutHash: layout.hash,
        values: noisy.values,
        variance: noisy.variance,
        epsilonMicro,
        suppressedCells: kept.suppressedCells,
        rows: exact.rows,
        noise,
        createdAt: at.toISOString(),
        ledgerSeq: entry.seq,
      };
      insertRelease(db, stored);
      return toRelease(stored, false);
    })
    .immediate();
}

/** A fresh job id for a local (not federated) query: `local-<uuid>`. */
export function localJobId(): string {
  return `local-${randomUUID()}`;
}

/**
 * `fedmark node stats`: the same release path for a query run locally, under a new
 * `local-<uuid>` job id (round 0, no minNodes). It charges the budget like any release.
 */
export function releaseLocalStats(ctx: ReleaseContext, req: Omit<ReleaseRequest, 'jobId' | 'round' | 'minNodes'>): Release {
  return releaseSegmentStats(ctx, { ...req, jobId: localJobId(), round: 0 });
}
