import { z } from 'zod';
import type { Canonical } from '../encoding.ts';
import { EpsilonSchema, Hash256Schema, IdSchema, PurposeSchema } from './common.ts';
import { JobKindSchema } from './policy.ts';
import { DeltaSchema, MechanismSchema } from '../dp/mechanism.ts';
import { IsoTimestampSchema, SignatureHexSchema } from './wire-primitives.ts';

/**
 * A node's signed policy summary (docs/federation-protocol.md "Job preflight"): the terms its
 * policy judges a round on, so the coordinator can refuse at creation a job some participant
 * would refuse, naming the node and the rule, instead of failing rounds later. Never a budget:
 * what is left of a node's budgets is not the coordinator's to know (docs/privacy.md "Budgets").
 */
export const POLICY_SUMMARY_DOMAIN = 'policy-summary';

export const PolicyTermsSchema = z.object({
  allowedKinds: z.array(JobKindSchema).min(1),
  allowedPurposes: z.array(PurposeSchema).min(1),
  maxEpsilonPerJob: EpsilonSchema,
  minNodes: z.number().int().min(3),
  minCohort: z.number().int().min(2),
  testOnlyAllowNoiseOff: z.boolean(),
  delta: DeltaSchema,
  allowedMechanisms: z.array(MechanismSchema).min(1),
});
export type PolicyTerms = z.infer<typeof PolicyTermsSchema>;

/** `POST /v1/node/policy-summary`. */
export const PolicySummarySchema = z.object({
  version: z.literal(1),
  node: IdSchema,
  terms: PolicyTermsSchema,
  /** The node's policy hash (the one its ledger's policy_changed entries name). */
  policyHash: Hash256Schema,
  at: IsoTimestampSchema,
  signature: SignatureHexSchema,
});
export type PolicySummary = z.infer<typeof PolicySummarySchema>;

export function policySummarySigningPayload(
  s: Omit<PolicySummary, 'version' | 'signature'>
): Canonical {
  return {
    node: s.node,
    terms: {
      allowedKinds: [...s.terms.allowedKinds],
      allowedPurposes: [...s.terms.allowedPurposes],
      maxEpsilonPerJob: s.terms.maxEpsilonPerJob,
      minNodes: s.terms.minNodes,
      minCohort: s.terms.minCohort,
      testOnlyAllowNoiseOff: s.terms.testOnlyAllowNoiseOff,
      delta: s.terms.delta,
      allowedMechanisms: [...s.terms.allowedMechanisms],
    },
    policyHash: s.policyHash,
    at: s.at,
  };
}
