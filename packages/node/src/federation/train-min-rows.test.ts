import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  PolicySchema,
  TrainRoundQuerySchema,
  TrainSpecSchema,
  standardisationLayout,
  type TrainRoundQuery,
} from '@fedmark/protocol';
import { protocolErrorOf } from '../_testing/protocol-error.ts';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { listLedger } from '../ledger/index.ts';
import { findRelease } from '../release/index.ts';
import { importCsv } from '../importing/index.ts';
import { jobSpend } from '../privacy/budget.ts';
import { publicReasonOf } from '../privacy/index.ts';
import { releaseTrainRound } from './train-round.ts';

/**
 * A node below its policy's minRowsPerJob for train jobs (docs/models.md §9 "Too few rows") is
 * refused before anything is computed, released or charged. Before the rule, the 13-row node
 * below released its standardisation vector and paid for it like any other: a full noise share
 * in the joint sum for 13 rows of signal.
 */
let node: TempNode;

const train = TrainSpecSchema.parse({
  version: 1,
  kind: 'train',
  purpose: 'model_training',
  table: 'churn',
  label: { column: 'churn', positive: 'Yes' },
  features: [{ type: 'numeric', column: 'tenure', lower: 0, upper: 72 }],
  rounds: 1,
  epsilon: 1,
  minNodes: 3,
});
const layout = standardisationLayout(train);
const query: TrainRoundQuery = TrainRoundQuerySchema.parse({
  kind: 'train_round',
  name: 'tiny',
  purpose: 'model_training',
  epsilon: layout.epsilonMicro / 1e6,
  phase: 'standardisation',
  train,
  model: null,
  layoutHash: layout.hash,
});
const round = (jobId: string) => ({ jobId, round: 0, query, noise: 'on', minNodes: 3 }) as const;

beforeAll(async () => {
  node = await createTempNode('train-min-rows-', 'bank');
  const rows = ['customer_id,churn,tenure'];
  for (let i = 0; i < 20; i++) rows.push(`C${i},${i % 3 === 0 ? 'Yes' : 'No'},${i * 3}`);
  const all = join(node.root, 'churn.csv');
  writeFileSync(all, `${rows.join('\n')}\n`);
  // 20 rows, of which only C0..C12 may be used for model_training: 13 eligible rows.
  const lawful = join(node.root, 'lawful.csv');
  writeFileSync(lawful, `${rows.slice(0, 14).join('\n')}\n`);
  const { db, identity } = node;
  await importCsv(db, identity, { kind: 'table', table: 'churn', file: all, lawfulBasis: [] });
  await importCsv(db, identity, {
    kind: 'table',
    table: 'churn',
    file: lawful,
    lawfulBasis: [{ purpose: 'model_training', basis: 'contract' }],
  });
});
afterAll(() => removeTempNode(node));

describe('minRowsPerJob for train jobs', () => {
  it('refuses a 13-row node under the default (100), naming the rule and the numbers, with nothing released or charged', () => {
    const { db, identity } = node;
    const err = protocolErrorOf(() =>
      releaseTrainRound({ db, identity, policy: PolicySchema.parse({}) }, round('j-tiny'))
    );
    expect(err.code).toBe('POLICY_REFUSED');
    const local =
      'node bank: 13 eligible rows < minRowsPerJob.train 100 (customers with model_training consent in force)';
    expect(err.message).toBe(local);
    // The coordinator is told the rule, never the node's exact row count (docs/privacy.md "Policy").
    expect(publicReasonOf(err)).toBe(
      'node bank holds fewer eligible rows than its minRowsPerJob.train 100'
    );
    const refused = listLedger(db, { type: 'job_refused' }).filter(
      (e) => e.body['jobId'] === 'j-tiny'
    );
    expect(refused.map((e) => e.body)).toEqual([
      { jobId: 'j-tiny', round: 0, kind: 'train', reason: local },
    ]);
    expect(findRelease(db, 'j-tiny', 0)).toBeNull();
    expect(jobSpend(db, 'j-tiny').pureMicro).toBe(0);
    expect(jobSpend(db, 'j-tiny').gaussianRhoPico).toBe(0n);
    expect(listLedger(db, { type: 'release' }).some((e) => e.body['jobId'] === 'j-tiny')).toBe(
      false
    );
  });

  it('releases once the node lowers its own minimum to its 13 rows', () => {
    const { db, identity } = node;
    const policy = PolicySchema.parse({ minRowsPerJob: { train: 13 } });
    const r = releaseTrainRound({ db, identity, policy }, round('j-lowered'));
    expect(r.rows).toBe(13);
    expect(jobSpend(db, 'j-lowered').pureMicro).toBe(layout.epsilonMicro);
  });
});
