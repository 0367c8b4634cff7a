import { JobSpecSchema, PolicySchema } from '@fedmark/protocol';
import { describe, expect, it } from 'vitest';
import { overlapDemoJob, withOverlapPolicy } from './overlap-demo.ts';

describe('simulate --overlap', () => {
  it('runs a valid overlap job on e-mail with consent for marketing', () => {
    const job = JobSpecSchema.parse(overlapDemoJob());
    expect(job.kind).toBe('overlap');
    if (job.kind !== 'overlap') return;
    expect(job.overlap).toMatchObject({ matchingKey: 'email', purpose: 'marketing', epsilon: 0.5 });
  });

  it('opts the nodes in with a policy the schema accepts, keeping the user fields', () => {
    const plain = PolicySchema.parse(withOverlapPolicy(undefined));
    expect(plain.allowedKinds).toEqual(['segment_stats', 'train', 'overlap']);
    expect(plain.matching).toEqual([{ kind: 'email', column: 'email' }]);
    const user = withOverlapPolicy({ allowedKinds: ['segment_stats'], maxEpsilonPerJob: 3 });
    const p = PolicySchema.parse(user);
    expect(p.allowedKinds).toEqual(['segment_stats', 'overlap']);
    expect(p.maxEpsilonPerJob).toBe(3);
  });
});
