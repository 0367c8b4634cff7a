import { OverlapJobSpecSchema, type JobSpecInput } from '@fedmark/protocol';

/**
 * `fedmark job template overlap` (docs/overlap.md "Running one"): shared customers between every
 * pair of the active epoch's members, matched on e-mail, at epsilon 1 per figure. Each node must
 * list `overlap` in its policy's allowedKinds and declare where it holds the key (`matching`).
 */
export function overlapTemplate(): JobSpecInput {
  const t = {
    version: 1 as const,
    kind: 'overlap' as const,
    name: 'shared customers by e-mail',
    noise: 'on' as const,
    deadlineMs: 300_000,
    overlap: { matchingKey: 'email' as const, purpose: 'analytics' as const, epsilon: 1 },
  };
  OverlapJobSpecSchema.parse(t);
  return t;
}
