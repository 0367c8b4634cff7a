import {
  POLICY_SUMMARY_DOMAIN,
  PolicySummarySchema,
  ProtocolError,
  addSpend,
  clvJobEpsilonMicro,
  epsilonToMicro,
  evaluateRound,
  policySummarySigningPayload,
  pureSpend,
  roundSpend,
  unitNoiseOf,
  type RoundJobSpec,
  type PrivacySpend,
  type RoundRequest,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { roundCount } from './round-queries.ts';
import { requireSignedBy } from './submissions.ts';

/**
 * Job preflight (docs/federation-protocol.md "Job preflight"): each node sends its signed policy
 * summary, and a job that a participant's policy would refuse is refused at creation, naming the
 * node and the rule, with the same decision function the node runs on each round
 * (protocol evaluateRound). Before, such a job ran its rounds and failed with QUORUM_NOT_MET while
 * the reason was only in the node's log. Budgets are not in a summary: whether a node still has
 * budget is learned only from its refusal, which says that, not how much is left.
 */

/** `POST /v1/node/policy-summary`: schema, sender, signature; a newer summary replaces the older. */
export function acceptPolicySummary(ctx: Ctx, node: string, body: unknown): { version: 1 } {
  const s = PolicySummarySchema.parse(body);
  if (s.node !== node)
    throw new ProtocolError('FORBIDDEN', `node ${node} cannot send the policy of ${s.node}`);
  const { signature, version: _v, ...signed } = s;
  requireSignedBy(ctx, node, 'policy summary', {
    domain: POLICY_SUMMARY_DOMAIN,
    payload: policySummarySigningPayload(signed),
    signature,
  });
  const previous = ctx.store.nodes.policySummary(node);
  if (previous && Date.parse(previous.at) > Date.parse(s.at))
    throw new ProtocolError(
      'CONFLICT',
      `a newer policy summary of ${node} (${previous.at}) is already stored`
    );
  ctx.store.nodes.putPolicySummary(s, ctx.iso());
  return { version: 1 };
}

/**
 * What `epsilon` of the job costs a node: pure epsilon in local mode, the rho of (epsilon,
 * delta) under distributed noise (the same reading the node's release path makes).
 */
function spendOfEpsilon(spec: RoundJobSpec, epsilon: number): PrivacySpend {
  return roundSpend(unitNoiseOf(spec, epsilon, 1), epsilonToMicro(epsilon));
}

/** What the job asks of each participant, as one request over the whole job (all its rounds). */
export function jobRequest(spec: RoundJobSpec): RoundRequest {
  const common = { minNodes: spec.minNodes, noise: spec.noise, mechanism: spec.mechanism };
  if (spec.kind === 'train') {
    // The own-model check is a pure-epsilon release on top of the training (basic composition).
    const check = spec.train.ownModelCheck;
    const training = spendOfEpsilon(spec, spec.train.epsilon);
    return {
      kind: 'train',
      purpose: 'model_training',
      spend: check ? addSpend(training, pureSpend(epsilonToMicro(check.epsilon))) : training,
      ...common,
    };
  }
  if (spec.kind === 'clv') {
    // A CLV fit is model training to a node's policy (ClvJobSpecSchema); its rounds share one unit.
    const unit = unitNoiseOf(spec, spec.clv.epsilon, 1);
    return {
      kind: 'train',
      purpose: 'model_training',
      spend: roundSpend(unit, clvJobEpsilonMicro(spec.clv)),
      ...common,
    };
  }
  const perRound = spendOfEpsilon(spec, spec.query.epsilon);
  return {
    kind: 'segment_stats',
    purpose: spec.query.purpose,
    spend: addSpend(...new Array<PrivacySpend>(roundCount(spec)).fill(perRound)),
    ...common,
  };
}

/**
 * Throws POLICY_REFUSED naming every participant whose latest signed summary would refuse the
 * job, and why. A participant that sent no summary yet is not judged (it refuses at its round).
 */
export function preflightJob(ctx: Ctx, spec: RoundJobSpec, participants: readonly string[]): void {
  const req = jobRequest(spec);
  const refusals: string[] = [];
  for (const node of participants) {
    const summary = ctx.store.nodes.policySummary(node);
    if (!summary) continue;
    const d = evaluateRound(summary.terms, req);
    if (!d.ok) refusals.push(`${node}: ${d.reason}`);
  }
  if (refusals.length > 0)
    throw new ProtocolError(
      'POLICY_REFUSED',
      `${refusals.length === 1 ? 'a participant' : `${refusals.length} participants`} would refuse this job by their signed policy (${refusals.join('; ')}); leave ${refusals.length === 1 ? 'it' : 'them'} out with "nodes", or change the job`
    );
}
