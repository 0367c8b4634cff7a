import {
  POLICY_SUMMARY_DOMAIN,
  policySummarySigningPayload,
  signCanonical,
  type Policy,
  type PolicySummary,
} from '@fedmark/protocol';
import { z } from 'zod';
import { policyHash } from '../policy/index.ts';
import type { AgentContext } from './context.ts';

/**
 * The node's signed policy summary (docs/federation-protocol.md "Job preflight"): the terms of
 * its policy a round is judged on, so the coordinator refuses at creation a job this node would
 * refuse. Budgets are never in it.
 */
export function policySummaryOf(
  identity: AgentContext['identity'],
  policy: Policy,
  at: Date
): PolicySummary {
  const body = {
    node: identity.name,
    terms: {
      allowedKinds: [...policy.allowedKinds],
      allowedPurposes: [...policy.allowedPurposes],
      maxEpsilonPerJob: policy.maxEpsilonPerJob,
      minNodes: policy.minNodes,
      minCohort: policy.minCohort,
      testOnlyAllowNoiseOff: policy.testOnlyAllowNoiseOff,
      delta: policy.delta,
      allowedMechanisms: policy.allowedMechanisms,
    },
    policyHash: policyHash(policy),
    at: at.toISOString(),
  };
  const signature = signCanonical(
    POLICY_SUMMARY_DOMAIN,
    policySummarySigningPayload(body),
    identity.signing.secretKey
  );
  return { version: 1, ...body, signature };
}

const AckSchema = z.object({ version: z.literal(1) });

/**
 * Sends the summary when the policy changed since the last one this agent sent (`sent` keeps
 * the hash across polls; a restarted agent sends once more, which the coordinator accepts).
 */
export async function sendPolicySummaryIfChanged(
  ctx: AgentContext,
  sent: { policyHash?: string }
): Promise<void> {
  const policy = ctx.policy();
  const hash = policyHash(policy);
  if (sent.policyHash === hash) return;
  await ctx.client.request(
    'POST',
    '/v1/node/policy-summary',
    policySummaryOf(ctx.identity, policy, new Date(ctx.now())),
    AckSchema
  );
  sent.policyHash = hash;
  ctx.log('policy_summary_sent', { policyHash: hash });
}
