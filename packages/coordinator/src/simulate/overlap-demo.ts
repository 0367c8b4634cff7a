import { DEFAULT_ALLOWED_KINDS, type JobSpecInput } from '@fedmark/protocol';
import { overlapTemplate } from '../overlap/template.ts';

/**
 * `fedmark simulate --overlap` (docs/overlap.md "In the demo"): the nodes opt in to overlap jobs
 * matched on their customers' `email` column (synthetic nodes draw addresses from one shared
 * population, packages/node/src/synth/shared-people.ts), and the run ends with an overlap job:
 * how many customers each pair shares.
 *
 * Purpose `marketing`: matching customers with a partner is a step towards a joint campaign, and
 * the demo's other jobs use most of the analytics budget (3.5 of 4, default-jobs.ts). At epsilon
 * 0.5 a figure, a node in n nodes pays (n - 1) x 0.5 of its monthly marketing budget of 2 (1 with
 * the default three nodes).
 */
export const OVERLAP_DEMO_POLICY = {
  allowedKinds: [...DEFAULT_ALLOWED_KINDS, 'overlap'],
  matching: [{ kind: 'email', column: 'email' }],
} as const;

export function overlapDemoJob(): JobSpecInput {
  const t = overlapTemplate();
  if (t.kind !== 'overlap') throw new Error('the overlap template is an overlap job');
  return {
    ...t,
    name: 'shared customers by e-mail',
    overlap: { ...t.overlap, purpose: 'marketing', epsilon: 0.5 },
  };
}

/** The user's --policy fields win over the demo's, except that overlap stays allowed. */
export function withOverlapPolicy(
  patch: Record<string, unknown> | undefined
): Record<string, unknown> {
  const kinds = (patch?.['allowedKinds'] as string[] | undefined) ?? [
    ...OVERLAP_DEMO_POLICY.allowedKinds,
  ];
  return {
    ...OVERLAP_DEMO_POLICY,
    ...patch,
    allowedKinds: kinds.includes('overlap') ? kinds : [...kinds, 'overlap'],
  };
}
