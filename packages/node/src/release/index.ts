/**
 * The release path: the only way a statistic leaves the node. Policy, idempotency, budget
 * check, exact computation, discrete Laplace noise on every slot, minimum-cohort suppression on
 * the noisy counts (post-processing, docs/privacy.md), then one transaction that charges the
 * budget, stores the release and writes the ledger.
 *
 * @example
 * import { releaseSegmentStats } from './release/index.ts';
 * const r = releaseSegmentStats({ db, identity, policy }, { query, source, jobId: 'job-7', round: 0, minNodes: 3 });
 * r.values;   // noisy bigint vector in layout order, ready to encode and encrypt
 * r.variance; // per-slot noise variance for error bars
 * r.reused;   // true if job-7 round 0 had been released before (not charged again)
 */
export {
  releaseSegmentStats,
  releaseLocalStats,
  localJobId,
  type ReleaseRequest,
} from './release-segment-stats.ts';
/**
 * The same path for any public layout (e.g. a training round): pass `kind: 'train'`, the round
 * layout (blocks with sensitivity and epsilonMicro) and a `compute` callback that reads the data.
 */
export {
  releaseVector,
  releaseValuesHash,
  type Release,
  type ReleaseContext,
  type VectorReleaseRequest,
  type ExactVector,
} from './release-vector.ts';
/** Recorded releases (noisy values and metadata), by job round or newest first. */
export { findRelease, listReleases, type StoredRelease } from './release-store.ts';
/** Minimum-cohort suppression of a layout vector (exposed for tests and tooling). */
export { suppressSmallCells } from './suppress.ts';
/**
 * The units a release committed to (sorted keyed pseudonyms, chunked beside the ledger) and
 * non-membership proofs against the release entry's `unitsRoot` (docs/audit.md).
 */
export {
  ensureReleaseUnitsSchema,
  hasReleaseUnits,
  releaseNonMembership,
  releaseNonMemberships,
  releaseUnitsReader,
  type ReleaseUnitsReader,
} from './release-units.ts';
