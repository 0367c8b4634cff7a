import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadPolicyPatch } from './policy-patch.ts';

const file = (content: string) => {
  const f = join(mkdtempSync(join(tmpdir(), 'sim-policy-')), 'policy.json');
  writeFileSync(f, content);
  return f;
};

describe('simulate --policy FILE', () => {
  it('returns exactly the fields given, checked against the policy schema', () => {
    expect(loadPolicyPatch(file('{"maxEpsilonPerJob": 4, "minCohort": 5}'))).toEqual({
      maxEpsilonPerJob: 4,
      minCohort: 5,
    });
    expect(loadPolicyPatch(undefined)).toBeUndefined();
  });

  it('names the file and the field that is wrong', () => {
    const f = file('{"minCohort": 1}');
    expect(() => loadPolicyPatch(f)).toThrow(`${f}: minCohort: `);
    expect(() => loadPolicyPatch(file('[1]'))).toThrow(/expected a JSON object of policy fields/);
  });
});
