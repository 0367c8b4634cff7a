import type Database from 'better-sqlite3';
import {
  IdSchema,
  LOCAL_LAPLACE,
  ProtocolError,
  canonicalHash,
  type Canonical,
  formatRhoPico,
  gaussianShareVariance,
  roundSpend,
  type Policy,
  type Purpose,
  type RoundNoise,
} from '@fedmark/protocol';
import { appendLedgerEntry } from '../ledger/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { evaluateRound, type NoiseMode } from '../policy/index.ts';
import { chargeBudget, checkBudget, jobSpend } from '../privacy/budget.ts';
import { blockNoiseScale, formatScale } from '../privacy/discrete-laplace.ts';
import { addNoise, layoutEpsilonMicro, type NoiseLayout } from '../privacy/noise.ts';
import { ensurePrivacySchema } from '../privacy/schema.ts';
import { findRelease, insertRelease, type StoredRelease } from './release-store.ts';
import { commitUnits, type UnitsCommitment } from './_units-commit.ts';
import { storeReleaseUnits } from './release-units.ts';
import { minRowsRefusal } from './min-rows.ts';

export interface ReleaseContext {
  db: Database.Database;
  dir?: string;
  /** `pepper` is needed when the data step reports its units (the commitment pseudonymises them). */
  identity: Pick<NodeIdentity, 'name'> & Partial<Pick<NodeIdentity, 'pepper'>>;
  policy: Policy;
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

/** The exact vector a release computes, after any suppression, and what it was computed from. */
export interface ExactVector {
  values: bigint[];
  rows: number;
  suppressedCells: number;
  /**
   * Raw ids of the customers whose (consent-filtered) rows the computation read. The release
   * commits to their keyed pseudonyms (ledger `unitsRoot`/`unitsCount`, list in release_units)
   * so an audit can prove an erased customer was not used (docs/audit.md). Absent: the release
   * records no commitment (`unitsRoot: null`), which the audit reports.
   */
  units?: Iterable<string>;
}

export interface VectorReleaseRequest {
  kind: 'segment_stats' | 'train';
  purpose: Purpose;
  jobId: string;
  round: number;
  /** Public layout (derived from the job spec alone): blocks with sensitivity and epsilon share. */
  layout: NoiseLayout;
  /**
   * Reads the data and returns the exact vector. Called only after the policy and the budget
   * allowed the round, and never for a round already released. Its `rows` (customers read,
   * consent-filtered) is what `minRowsPerJob` is judged on.
   */
  compute: () => ExactVector;
  /**
   * Post-processing of the noisy vector before it is stored and sent (e.g. minimum-cohort
   * suppression judged on the noisy count). Anything here only reads noisy values, so it costs
   * no privacy (post-processing invariance of DP).
   */
  postProcess?: (
    noisy: readonly bigint[],
    variance: readonly number[]
  ) => { values: bigint[]; variance: number[]; suppressedCells: number };
  /** Free label for the job_accepted entry (the query or model name). */
  name?: string;
  noise?: NoiseMode;
  /** How the noise is added (default local discrete Laplace: docs/privacy.md "Distributed noise"). */
  roundNoise?: RoundNoise;
  /**
   * The secure-aggregation round the release is masked into, if any: its threshold is the
   * fewest contributors whose sum the coordinator can ever unmask. A distributed noise share is
   * released only into such a round, and only when it was sized for at most that many shares.
   */
  secureAggregation?: { threshold: number };
  minNodes?: number;
  at?: Date;
}

/**
 * Refuses a distributed noise share that would leave the node outside secure aggregation (alone
 * it carries 1/T of the noise), or one sized for more shares than the round is sure to sum.
 */
function checkShareAggregation(noise: RoundNoise, sa: { threshold: number } | undefined): void {
  if (noise.mechanism === 'local-laplace') return;
  if (sa === undefined)
    throw new ProtocolError(
      'POLICY_REFUSED',
      `${noise.mechanism} noise is a share of the noise, released only into secure aggregation; use local-laplace for a release outside a federated round`
    );
  if (
    !(Number.isSafeInteger(noise.contributors) && noise.contributors >= 1) ||
    noise.contributors > sa.threshold
  )
    throw new ProtocolError(
      'POLICY_REFUSED',
      `the noise shares are sized for ${noise.contributors} contributors, but secure aggregation can publish a sum of only ${sa.threshold}`
    );
}

/** The ledger's description of each block's noise: Laplace scale, or the Gaussian share's variance. */
function noiseDescription(layout: NoiseLayout, noise: RoundNoise): Canonical[] {
  return layout.blocks.map((b) => {
    const part = b.partition !== undefined ? { partition: b.partition } : {};
    if (noise.mechanism !== 'distributed-gaussian')
      return {
        block: b.name,
        epsilonMicro: b.epsilonMicro,
        scale: formatScale(blockNoiseScale(b)),
        ...(noise.mechanism === 'distributed-laplace' ? { shares: noise.contributors } : {}),
        ...part,
      };
    const s2 = gaussianShareVariance(b, noise);
    return {
      block: b.name,
      epsilonMicro: b.epsilonMicro,
      sigma2PerShare: s2 === null ? '0' : `${s2.num}/${s2.den}`,
      ...part,
    };
  });
}

function toRelease(s: StoredRelease, reused: boolean): Release {
  const { jobId, round, layoutHash, values, variance, epsilonMicro, noise, suppressedCells, rows } =
    s;
  return {
    jobId,
    round,
    layoutHash,
    values,
    variance,
    epsilonMicro,
    noise,
    suppressedCells,
    rows,
    reused,
  };
}

/** Hash of the released values as decimal strings: auditors can match it against what was sent. */
export function releaseValuesHash(values: readonly bigint[]): string {
  return canonicalHash('release-values', values.map(String));
}

function reusable(existing: StoredRelease, layoutHash: string): Release {
  if (existing.layoutHash !== layoutHash) {
    throw new ProtocolError(
      'CONFLICT',
      `job ${existing.jobId} round ${existing.round} was already released for layout ${existing.layoutHash.slice(0, 12)}; a different query cannot reuse the id`
    );
  }
  return toRelease(existing, true);
}

/**
 * The node's release path for any public layout (segment statistics, training rounds). In
 * order: (1) the policy decides, and a refusal is a `job_refused` ledger entry; (2) a job round
 * already released is returned as it was, neither recomputed nor charged again (a node
 * re-sending after a crash pays once); (3) the budget is checked before any data is read;
 * (4) `compute` reads the data, and a federated round (minNodes given) with fewer rows than the
 * policy's `minRowsPerJob` for its kind is refused there, ledgered, with nothing noised, stored
 * or charged; (5) every slot is noised; (6) one IMMEDIATE transaction charges
 * the budget, stores the release and writes `job_accepted` + `release` ledger entries. If
 * anything throws, nothing of (6) is written.
 */
export function releaseVector(ctx: ReleaseContext, req: VectorReleaseRequest): Release {
  const { db, policy } = ctx;
  ensurePrivacySchema(db);
  const parsedId = IdSchema.safeParse(req.jobId);
  if (!parsedId.success)
    throw new ProtocolError(
      'BAD_REQUEST',
      `jobId: ${parsedId.error.issues[0]?.message ?? 'invalid'}`
    );
  if (!Number.isSafeInteger(req.round) || req.round < 0)
    throw new ProtocolError('BAD_REQUEST', `round: expected an integer >= 0, got ${req.round}`);
  const { layout, round, kind, purpose } = req;
  const jobId = parsedId.data;
  const at = req.at ?? new Date();
  const noise: NoiseMode = req.noise ?? 'on';
  const roundNoise = req.roundNoise ?? LOCAL_LAPLACE;
  const epsilonMicro = layoutEpsilonMicro(layout);
  const spend = roundSpend(roundNoise, epsilonMicro);
  const refuse = (reason: string): void => {
    appendLedgerEntry(db, { type: 'job_refused', body: { jobId, round, kind, reason }, at });
  };

  const decision = evaluateRound(policy, {
    kind,
    purpose,
    spend,
    mechanism: roundNoise.mechanism,
    noise,
    jobSpent: jobSpend(db, jobId, round),
    ...(req.minNodes !== undefined ? { minNodes: req.minNodes } : {}),
  });
  if (!decision.ok) {
    refuse(decision.reason);
    throw new ProtocolError('POLICY_REFUSED', decision.reason);
  }

  const existing = findRelease(db, jobId, round);
  if (existing) return reusable(existing, layout.hash);

  try {
    checkShareAggregation(roundNoise, req.secureAggregation);
    checkBudget(db, policy, purpose, spend, at);
  } catch (err) {
    if (err instanceof ProtocolError) refuse(err.message);
    throw err;
  }

  const exact = req.compute();
  // A federated round at a node below its minRowsPerJob is refused here: the exact vector was
  // only computed in memory, nothing is noised, stored, charged or sent (docs/models.md §9).
  const tooFew =
    req.minNodes !== undefined
      ? minRowsRefusal(policy, { kind, purpose, node: ctx.identity.name, rows: exact.rows })
      : null;
  if (tooFew) {
    refuse(tooFew.message);
    throw tooFew;
  }
  if (exact.values.length !== layout.length) {
    throw new ProtocolError(
      'INTERNAL',
      `computed ${exact.values.length} values for a layout of ${layout.length} slots`
    );
  }
  let units: UnitsCommitment | null = null;
  if (exact.units !== undefined) {
    const pepper = ctx.identity.pepper;
    if (!(pepper instanceof Uint8Array))
      throw new TypeError('"ctx.identity.pepper" is needed to commit to the units a release read');
    units = commitUnits(pepper, exact.units);
  }
  const raw =
    noise === 'on'
      ? addNoise(layout, exact.values, roundNoise)
      : { values: exact.values.slice(), variance: new Array<number>(layout.length).fill(0) };
  const noisy = req.postProcess
    ? req.postProcess(raw.values, raw.variance)
    : { ...raw, suppressedCells: exact.suppressedCells };

  return db
    .transaction((): Release => {
      // A concurrent release of the same round may have committed since the check above.
      const raced = findRelease(db, jobId, round);
      if (raced) return reusable(raced, layout.hash);
      appendLedgerEntry(db, {
        type: 'job_accepted',
        body: {
          jobId,
          round,
          kind,
          name: req.name ?? null,
          purpose,
          layoutHash: layout.hash,
          epsilonMicro,
          noise,
          mechanism: roundNoise.mechanism,
          minNodes: req.minNodes ?? null,
        },
        at,
      });
      const entry = appendLedgerEntry(db, {
        type: 'release',
        body: {
          jobId,
          round,
          kind,
          layoutHash: layout.hash,
          valuesHash: releaseValuesHash(noisy.values),
          epsilonMicro,
          mechanism: roundNoise.mechanism,
          ...(roundNoise.mechanism === 'distributed-gaussian'
            ? {
                rhoPico: spend.gaussianRhoPico.toString(),
                rho: formatRhoPico(spend.gaussianRhoPico),
                delta: roundNoise.delta,
              }
            : {}),
          ...(roundNoise.mechanism !== 'local-laplace'
            ? { shareContributors: roundNoise.contributors }
            : {}),
          noiseScales: noiseDescription(layout, roundNoise),
          minCohort: policy.minCohort,
          suppressedCells: noisy.suppressedCells,
          noise,
          // RFC 6962 root over the sorted pseudonyms of the customers read (null: not recorded).
          unitsRoot: units?.root ?? null,
          unitsCount: units?.count ?? null,
        },
        at,
      });
      if (units) storeReleaseUnits(db, entry.seq, units);
      chargeBudget(db, policy, {
        purpose,
        epsilonMicro,
        spend,
        mechanism: roundNoise.mechanism,
        jobId,
        round,
        at,
        ledgerSeq: entry.seq,
      });
      const stored: StoredRelease = {
        jobId,
        round,
        purpose,
        layoutHash: layout.hash,
        values: noisy.values,
        variance: noisy.variance,
        epsilonMicro,
        suppressedCells: noisy.suppressedCells,
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
