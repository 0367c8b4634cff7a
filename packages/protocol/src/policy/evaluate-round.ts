import type { Policy } from '../schemas/policy.ts';
import { epsilonToMicro, formatEpsilonMicro, type Purpose } from '../schemas/common.ts';
import type { NoiseMode } from '../schemas/federation.ts';

export interface RoundRequest {
  kind: 'segment_stats' | 'train';
  purpose: Purpose;
  /** Epsilon this round spends at this node, in micro-epsilon. */
  epsilonMicro: number;
  /** Minimum contributing nodes the federated job requires; absent for a local query. */
  minNodes?: number;
  noise: NoiseMode;
  /** Already charged to earlier rounds of the same job (maxEpsilonPerJob covers all rounds). */
  jobSpentMicro?: number;
}

export type RoundDecision = { ok: true } | { ok: false; reason: string };

/** The policy terms a round is judged on: what a node's signed policy summary publishes. */
export type RoundPolicyTerms = Pick<
  Policy,
  'allowedKinds' | 'allowedPurposes' | 'maxEpsilonPerJob' | 'minNodes' | 'testOnlyAllowNoiseOff'
>;

/**
 * Decides, from the policy alone, whether this node answers a round. The node runs it on every
 * round; the coordinator runs the same function on each node's signed policy summary when a
 * job is created (job preflight, docs/federation-protocol.md), so both decide alike. Pure: no data and no
 * budget are read here (budgets are checked next, then the data). Reasons are written to the
 * ledger and sent back to the coordinator, so they name the rule and never any data.
 */
export function evaluateRound(policy: RoundPolicyTerms, req: RoundRequest): RoundDecision {
  if (!policy.allowedKinds.includes(req.kind)) {
    return {
      ok: false,
      reason: `job kind "${req.kind}" is not allowed by this node's policy (allowedKinds: ${policy.allowedKinds.join(', ')})`,
    };
  }
  if (!policy.allowedPurposes.includes(req.purpose)) {
    return {
      ok: false,
      reason: `purpose "${req.purpose}" is not allowed by this node's policy (allowedPurposes: ${policy.allowedPurposes.join(', ')})`,
    };
  }
  if (!Number.isSafeInteger(req.epsilonMicro) || req.epsilonMicro < 1) {
    return {
      ok: false,
      reason: `epsilon must be positive (got ${req.epsilonMicro} micro-epsilon)`,
    };
  }
  const maxMicro = epsilonToMicro(policy.maxEpsilonPerJob);
  const spent = req.jobSpentMicro ?? 0;
  if (spent + req.epsilonMicro > maxMicro) {
    const already =
      spent > 0 ? ` on top of ${formatEpsilonMicro(spent)} already spent by this job` : '';
    return {
      ok: false,
      reason: `round asks epsilon ${formatEpsilonMicro(req.epsilonMicro)}${already}; this node allows at most ${formatEpsilonMicro(maxMicro)} per job (maxEpsilonPerJob)`,
    };
  }
  if (
    req.minNodes !== undefined &&
    !(Number.isInteger(req.minNodes) && req.minNodes >= policy.minNodes)
  ) {
    return {
      ok: false,
      reason: `job requires only ${req.minNodes} contributing nodes; this node's policy needs at least ${policy.minNodes} (minNodes)`,
    };
  }
  if (req.noise === 'off-test-only' && !policy.testOnlyAllowNoiseOff) {
    return {
      ok: false,
      reason: `noise "off-test-only" is refused: this node's policy does not set testOnlyAllowNoiseOff (a test-only switch)`,
    };
  }
  if (req.noise !== 'on' && req.noise !== 'off-test-only') {
    return { ok: false, reason: `unknown noise mode "${String(req.noise).slice(0, 32)}"` };
  }
  return { ok: true };
}
