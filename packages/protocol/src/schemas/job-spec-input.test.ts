import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { asJobSpec } from './job-spec-input.ts';
import { JobSpecSchema } from './federation.ts';

/** The spec docs/models.md §1 shows, read from the doc itself. */
function documentedTrainSpec(): unknown {
  const doc = readFileSync(new URL('../../../../docs/models.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## 1. The job spec'));
  const block = /```json\n([\s\S]*?)\n```/.exec(section);
  if (!block) throw new Error('docs/models.md §1 has no JSON block');
  return JSON.parse(block[1] as string);
}

describe('asJobSpec', () => {
  it('runs the train spec of docs/models.md §1 as written: it becomes the train job of §9', () => {
    const written = documentedTrainSpec();
    expect(JobSpecSchema.safeParse(written).success).toBe(false);
    const job = JobSpecSchema.parse(asJobSpec(written));
    expect(job.kind).toBe('train');
    expect(job.kind === 'train' && job.train.table).toBe((written as { table: string }).table);
    expect(job.minNodes).toBe(job.kind === 'train' ? job.train.minNodes : -1);
  });

  it('leaves a job spec, an array, and an invalid train spec as they are', () => {
    const job = { version: 1, kind: 'train', train: { table: 't' } };
    expect(asJobSpec(job)).toBe(job);
    const bad = { version: 1, kind: 'train', table: 't' };
    expect(asJobSpec(bad)).toBe(bad);
    expect(asJobSpec([1])).toEqual([1]);
    expect(asJobSpec(null)).toBe(null);
  });
});
