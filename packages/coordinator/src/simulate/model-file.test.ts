import { describe, expect, it } from 'vitest';
import type { JobResult } from '@fedmark/protocol';
import { modelFileAction } from './model-file.ts';

const model = { training: { roundsDone: 3, roundsPlanned: 8, epsilonPerNode: 4 }, weights: {} };
const result = (status: JobResult['status']) =>
  ({ name: 'churn', status, model }) as unknown as JobResult;

describe('simulate --model-out with a train job', () => {
  it('writes a published model as it is', () => {
    expect(modelFileAction(result('published'), { file: 'm.json', partial: false })).toEqual({
      kind: 'write',
    });
  });

  it('writes no file for a failed training unless --partial, and then marks it', () => {
    const skipped = modelFileAction(result('failed'), { file: 'm.json', partial: false });
    expect(skipped).toEqual({
      kind: 'skip',
      message:
        'churn: training failed after 3 of 8 rounds: no model file written (--partial writes its last model, marked)',
    });
    const partial = modelFileAction(result('failed'), { file: 'm.json', partial: true });
    expect(partial.kind).toBe('partial');
    expect(partial.kind === 'partial' && partial.content['partial']).toBe(true);
    expect(partial.kind === 'partial' && partial.message).toMatch(
      /3 of 8 rounds; .*"partial": true/
    );
  });

  it('does nothing for a job without a model', () => {
    const none = { name: 'x', status: 'published' } as unknown as JobResult;
    expect(modelFileAction(none, { file: 'm.json', partial: true })).toEqual({ kind: 'none' });
  });
});
