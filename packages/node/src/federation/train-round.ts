import {
  ProtocolError,
  checkTrainColumns,
  epsilonToMicro,
  ownModelCheckLayout,
  ownModelCheckRound,
  roundLayout,
  trainNoiseLayout,
  VALIDATION_PARTITION,
  standardisationLayout,
  type Policy,
  type RoundNoise,
  type TrainRoundQuery,
  type TrainSpec,
} from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import type { NoiseLayout } from '../privacy/index.ts';
import { releaseVector, type ExactVector, type Release } from '../release/index.ts';
import { openFeatureCatalog, openUnitSource } from '../warehouse/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import {
  localRoundVector,
  localStandardisationVector,
  ownModelCheckVector,
  ownModelComparison,
  type OwnModelComparison,
  type TrainingRow,
} from '../training/index.ts';
import { appendLedgerEntry } from '../ledger/index.ts';

/**
 * A train job round at this node (docs/models.md §9): check the table and the public layout,
 * then release through the node's release path (`releaseVector`, kind `train`, purpose
 * `model_training`): policy, budget check, exact vector over the customers whose
 * `model_training` consent is in force now, discrete Laplace noise, and one transaction that
 * charges the budget and writes the ledger. A spent budget refuses the round (BUDGET_EXCEEDED).
 */

export interface TrainReleaseContext {
  db: Database.Database;
  identity: Pick<NodeIdentity, 'name'>;
  policy: Policy;
}

export interface TrainRoundRequest {
  jobId: string;
  round: number;
  query: TrainRoundQuery;
  noise: 'on' | 'off-test-only';
  minNodes: number;
  /** Mechanism and secure aggregation of the round (releaseVector); local Laplace without. */
  roundNoise?: RoundNoise;
  secureAggregation?: { threshold: number };
}

/** Rows of the spec's feature table for customers with `model_training` consent in force now. */
export function trainingRows(
  db: Database.Database,
  spec: TrainSpec,
  consentAt = new Date()
): TrainingRow[] {
  const catalog = openFeatureCatalog(db);
  if (!catalog.tables().includes(spec.table)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `this node has no feature table "${spec.table}" (table)`
    );
  }
  checkTrainColumns(
    spec,
    catalog.columns(spec.table).map((c) => c.name)
  );
  // asOf only filters events and touches; a feature table row has no time.
  const source = openUnitSource(db, {
    purpose: 'model_training',
    asOf: consentAt.toISOString().slice(0, 10),
    consentAt,
  });
  const rows: TrainingRow[] = [];
  for (const r of source.tableRows(spec.table))
    rows.push({ customerId: r.customerId, values: r.values });
  return rows;
}

/**
 * Releases one train round. Round 0 is the standardisation phase; round r >= 1 is optimiser
 * round r-1 at `query.model`. The validation histograms (`eval_pos`, `eval_neg`) read only
 * validation customers, disjoint from the training customers the other blocks read, so they
 * form their own partition and by parallel composition cost nothing beyond the round's epsilon
 * (docs/models.md §4; layoutEpsilonMicro). Together they are one noise block of sensitivity 1:
 * a validation customer falls in exactly one bin of one of them. The check round (phase `check`,
 * train.ownModelCheck) releases one bit at the final model, noised like any count of
 * sensitivity 1, and writes the exact comparison behind it to the node's ledger (`model_check`).
 */
export function releaseTrainRound(
  ctx: TrainReleaseContext,
  req: TrainRoundRequest
): Release & { ownModelCheck?: OwnModelComparison } {
  const { query: q } = req;
  const spec = q.train;
  let layout: NoiseLayout;
  let compute: () => ExactVector;
  let comparison: OwnModelComparison | undefined;
  if (q.phase === 'standardisation') {
    if (req.round !== 0)
      throw new ProtocolError(
        'BAD_REQUEST',
        `the standardisation phase is round 0, not ${req.round}`
      );
    layout = standardisationLayout(spec);
    compute = () => {
      const rows = trainingRows(ctx.db, spec);
      return {
        values: localStandardisationVector(spec, rows).values,
        rows: rows.length,
        suppressedCells: 0,
        units: rows.map((r) => r.customerId),
      };
    };
  } else if (q.phase === 'check') {
    const model = q.model;
    if (req.round !== ownModelCheckRound(spec) || !model)
      throw new ProtocolError(
        'BAD_REQUEST',
        `the own-model check is round ${ownModelCheckRound(spec) ?? '(none: the spec asks for no check)'} at the final model, not round ${req.round}${model ? '' : ' without a model'}`
      );
    if (model.training.roundsDone !== spec.rounds)
      throw new ProtocolError(
        'BAD_REQUEST',
        `the own-model check carries a model after ${model.training.roundsDone} rounds, expected ${spec.rounds}`
      );
    layout = ownModelCheckLayout(spec);
    compute = () => {
      const rows = trainingRows(ctx.db, spec);
      comparison = ownModelComparison(spec, model, rows);
      return {
        values: ownModelCheckVector(comparison),
        rows: rows.length,
        suppressedCells: 0,
        units: rows.map((r) => r.customerId),
      };
    };
  } else {
    const model = q.model;
    if (!model) throw new ProtocolError('BAD_REQUEST', `round ${req.round} carries no model`);
    if (model.training.roundsDone !== req.round - 1) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `round ${req.round} carries a model after ${model.training.roundsDone} rounds, expected ${req.round - 1}`
      );
    }
    const full = roundLayout(spec, model.encoding, req.round - 1);
    layout = trainNoiseLayout(full);
    compute = () => {
      const rows = trainingRows(ctx.db, spec);
      return {
        values: localRoundVector(spec, model, rows).values,
        rows: rows.length,
        suppressedCells: 0,
        units: rows.map((r) => r.customerId),
      };
    };
  }
  if (layout.hash !== q.layoutHash) {
    throw new ProtocolError(
      'LAYOUT_MISMATCH',
      `round ${req.round}: this node derives layout ${layout.hash.slice(0, 12)}…, the round names ${q.layoutHash.slice(0, 12)}…`
    );
  }
  const trainingMicro = layout.blocks
    .filter((b) => b.partition !== VALIDATION_PARTITION)
    .reduce((s, b) => s + b.epsilonMicro, 0);
  if (trainingMicro !== epsilonToMicro(q.epsilon)) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `round ${req.round}: the round's epsilon ${q.epsilon} is not the layout's ${trainingMicro / 1e6}`
    );
  }
  const release = releaseVector(ctx, {
    kind: 'train',
    purpose: 'model_training',
    jobId: req.jobId,
    round: req.round,
    layout,
    compute,
    name: q.name,
    noise: req.noise,
    minNodes: req.minNodes,
    ...(req.roundNoise !== undefined ? { roundNoise: req.roundNoise } : {}),
    ...(req.secureAggregation !== undefined ? { secureAggregation: req.secureAggregation } : {}),
  });
  // The exact comparison stays here: the node's own record of what its noised bit answered.
  if (comparison && !release.reused) {
    recordOwnModelCheck(ctx.db, req, comparison);
    return { ...release, ownModelCheck: comparison };
  }
  return release;
}

/** Rounded for reading; exact enough to audit the bit (difference - 1.645 se > margin). */
const r6 = (x: number): number | null => (Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null);

/** Writes the `model_check` ledger entry: both AUCs, their difference and the bit. */
function recordOwnModelCheck(
  db: Database.Database,
  req: TrainRoundRequest,
  c: OwnModelComparison
): void {
  appendLedgerEntry(db, {
    type: 'model_check',
    body: {
      jobId: req.jobId,
      round: req.round,
      ownAuc: r6(c.ownAuc),
      federatedAuc: r6(c.federatedAuc),
      difference: r6(c.difference),
      differenceSe: r6(c.differenceSe),
      margin: c.margin,
      ownModelBetter: c.better,
      trainingRows: c.trainingRows,
      validationPositives: c.validationPositives,
      validationNegatives: c.validationNegatives,
      notCompared: c.notCompared,
    },
  });
}
