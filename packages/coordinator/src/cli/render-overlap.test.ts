import { describe, expect, it } from 'vitest';
import { JobSpecSchema } from '@fedmark/protocol';
import { overlapLines } from './render-overlap.ts';
import { overlapTemplate } from '../overlap/template.ts';

describe('overlap in the CLI', () => {
  it('the template is a valid overlap job on e-mail at epsilon 1', () => {
    const spec = JobSpecSchema.parse(overlapTemplate());
    expect(spec).toMatchObject({ kind: 'overlap', overlap: { matchingKey: 'email', epsilon: 1 } });
  });

  it('prints each pair with its interval and noise, or why it failed', () => {
    const lines = overlapLines({
      matchingKey: 'email',
      purpose: 'analytics',
      pairs: [
        {
          nodes: ['bank', 'retail'],
          status: 'published',
          estimate: 1234,
          raw: 1234,
          noiseStd: 1.9,
          ci95: [1230, 1238],
          epsilon: 1,
          delta: 9e-11,
          reason: null,
        },
        {
          nodes: ['bank', 'telecom'],
          status: 'failed',
          estimate: null,
          raw: null,
          noiseStd: null,
          ci95: null,
          epsilon: 1,
          delta: 9e-11,
          reason: 'telecom: POLICY_REFUSED: no e-mail key',
        },
      ],
    });
    expect(lines[0]).toBe('shared customers by email (consent for analytics at both nodes):');
    expect(lines[1]).toMatch(
      /^ {2}bank & retail: 1,?234 \[1,?230, 1,?238\] at epsilon 1, noise std 1\.9/
    );
    expect(lines[2]).toBe('  bank & telecom: failed: telecom: POLICY_REFUSED: no e-mail key');
  });
});
