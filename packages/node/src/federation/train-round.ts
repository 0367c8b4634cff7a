import {
  ProtocolError,
  checkTrainColumns,
  epsilonToMicro,
  roundLayout,
  standardisationLayout,
  type Policy,
  type TrainRoundQuery,
  type TrainSpec,
} from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import { releaseVector, type ExactVector, type Release } from '../release/index.ts';
import { createUnitSource, featureTableColumns, listFeatureTables } from '../store/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { addBlockNoise } from '../training/_noise.ts';
import { localRoundVector, localStandardisationVector, type TrainingRow } from '../training/index.ts';

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
}

/** Rows of the spec's feature table for customers with `model_training` consent in force now. */
export function trainingRows(db: Database.Database, spec: TrainSpec, consentAt = new Date()): TrainingRow[] {
  if (!listFeatureTables(db).includes(spec.table)) {
    throw new ProtocolError('BAD_REQUEST', `this node has no feature table "${spec.table}" (table)`);
  }
  checkTrainColumns(spec, featureTableColumns(db, spec.table).map((c) => c.name));
  // asOf only filters events and touches; a feature table row has no time.
  const source = createUnitSource(db, { purpose: 'model_training', asOf: consentAt.toISOString().slice(0, 10), consentAt });
  const rows: TrainingRow[] = [];
  for (const r of source.tableRows(spec.table)) rows.push({ customerId: r.customerId, values: r.values });
  return rows;
}

/**
 * Releases one train round. Round 0 is the standardisation phase; round r >= 1 is optimiser
 * round r-1 at `query.model`. The validation histograms (`eval_pos`, `eval_neg`) read only
 * validation customers, disjoint from the training customers the other blocks read, so by
 * parallel composition they use the round's epsilon at no extra charge (docs/models.md §4): they
 * are noised here, inside `compute`, and handed to the release path as one block of sensitivity 0
 * (no further noise) and 1 micro-epsilon, the least a block may declare, so a round charges
 * the round epsilon + 0.000001.
 */
export function releaseTrainRound(ctx: TrainReleaseContext, req: TrainRoundRequest): Release {
  const { query: q } = req;
  const spec = q.train;
  const noiseOn = req.noise === 'on';
  let layout: { hash: string; length: number; epsilonMicro: number; blocks: { name: string; offset: number; length: number; sensitivity: bigint; epsilonMicro: number }[] };
  let compute: () => ExactVector;
  // Per-slot variance of the eval noise added in compute (zeros elsewhere).
  let evalVariance: number[] | undefined;
  let evalSlots: number[] = [];
  if (q.phase === 'standardisation') {
    if (req.round !== 0) throw new ProtocolError('BAD_REQUEST', `the standardisation phase is round 0, not ${req.round}`);
    layout = standardisationLayout(spec);
    compute = () => {
      const rows = trainingRows(ctx.db, spec);
      return { values: localStandardisationVector(spec, rows).values, rows: rows.length, suppressedCells: 0, units: rows.map((r) => r.customerId) };
    };
  } else {
    const model = q.model;
    if (!model) throw new ProtocolError('BAD_REQUEST', `round ${req.round} carries no model`);
    if (model.training.roundsDone !== req.round - 1) {
      throw new ProtocolError('BAD_REQUEST', `round ${req.round} carries a model after ${model.training.roundsDone} rounds, expected ${req.round - 1}`);
    }
    const full = roundLayout(spec, model.encoding, req.round - 1);
    layout = full;
    const evalBlocks = full.blocks.filter((b) => b.name === 'eval_pos' || b.name === 'eval_neg');
    compute = () => {
      const rows = trainingRows(ctx.db, spec);
      const vec = localRoundVector(spec, model, rows);
      if (noiseOn && evalBlocks.length > 0) evalVariance = addBlockNoise(evalBlocks, vec.values);
      return { values: vec.values, rows: rows.length, suppressedCells: 0, units: rows.map((r) => r.customerId) };
    };
    if (evalBlocks.length > 0) {
      const head = evalBlocks[0] as (typeof evalBlocks)[number];
      const span = evalBlocks.reduce((s, b) => s + b.length, 0);
      evalSlots = Array.from({ length: span }, (_, i) => head.offset + i);
      layout = {
        ...full,
        blocks: [...full.blocks.filter((b) => !evalBlocks.includes(b)), { name: 'eval (noised by parallel composition)', offset: head.offset, length: span, sensitivity: 0n, epsilonMicro: 1 }],
      };
    }
  }
  if (layout.hash !== q.layoutHash) {
    throw new ProtocolError('LAYOUT_MISMATCH', `round ${req.round}: this node derives layout ${layout.hash.slice(0, 12)}…, the round names ${q.layoutHash.slice(0, 12)}…`);
  }
  const trainingMicro = layout.blocks.filter((b) => b.sensitivity > 0n).reduce((s, b) => s + b.epsilonMicro, 0);
  if (trainingMicro !== epsilonToMicro(q.epsilon)) {
    throw new ProtocolError('BAD_REQUEST', `round ${req.round}: the round's epsilon ${q.epsilon} is not the layout's ${trainingMicro / 1e6}`);
  }
  return releaseVector(ctx, {
    kind: 'train',
    purpose: 'model_training',
    jobId: req.jobId,
    round: req.round,
    layout,
    compute,
    postProcess: (noisy, variance) => {
      const v = variance.slice();
      const ev = evalVariance;
      if (ev) for (const i of evalSlots) v[i] = ev[i] as number;
      return { values: noisy.slice(), variance: v, suppressedCells: 0 };
    },
    name: q.name,
    noise: req.noise,
    minNodes: req.minNodes,
  });
}
