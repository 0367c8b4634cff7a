import type { Policy, PolicyJobKind } from '../schemas/policy.ts';
import { epsilonToMicro, formatEpsilonMicro, type Purpose } from '../schemas/common.ts';
import type { NoiseMode } from '../schemas/federation.ts';
import type { Mechanism } from '../dp/mechanism.ts';
import {
  NO_SPEND,
  addSpend,
  isNoSpend,
  spendEpsilonMicro,
  type PrivacySpend,
} from '../dp/spend.ts';

export interface RoundRequest {
  kind: PolicyJobKind;
  purpose: Purpose;
  /** What this round costs at this node (protocol dp roundSpend). */
  spend: PrivacySpend;
  mechanism: Mechanism;
  /** Minimum contributing nodes the federated job requires; absent for a local query. */
  minNodes?: number;
  noise: NoiseMode;
  /** Already charged to earlier rounds of the same job (maxEpsilonPerJob covers all rounds). */
  jobSpent?: PrivacySpend;
}

export type RoundDecision = { ok: true } | { ok: false; reason: string };

/** The policy terms a round is judged on: what a node's signed policy summary publishes. */
export type RoundPolicyTerms = Pick<
  Policy,
  | 'allowedKinds'
  | 'allowedPurposes'
  | 'maxEpsilonPerJob'
  | 'minNodes'
  | 'testOnlyAllowNoiseOff'
  | 'delta'
  | 'allowedMechanisms'
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
  if (!policy.allowedMechanisms.includes(req.mechanism)) {
    return {
      ok: false,
      reason: `noise mechanism "${String(req.mechanism).slice(0, 32)}" is not allowed by this node's policy (allowedMechanisms: ${policy.allowedMechanisms.join(', ')})`,
    };
  }
  if (isNoSpend(req.spend)) return { ok: false, reason: 'a round must spend a positive epsilon' };
  // The job's rounds together, read at this node's delta (pure epsilon alone is read as it is).
  const maxMicro = epsilonToMicro(policy.maxEpsilonPerJob);
  const spent = req.jobSpent ?? NO_SPEND;
  const total = spendEpsilonMicro(addSpend(spent, req.spend), policy.delta);
  if (total > maxMicro) {
    const spentMicro = spendEpsilonMicro(spent, policy.delta);
    const already =
      spentMicro > 0
        ? ` on top of ${formatEpsilonMicro(spentMicro)} already spent by this job`
        : '';
    const gaussian = req.spend.gaussianRhoPico > 0n || spent.gaussianRhoPico > 0n;
    return {
      ok: false,
      reason: `round asks epsilon ${formatEpsilonMicro(total - spentMicro)}${already}${gaussian ? ` (at delta ${policy.delta})` : ''}; this node allows at most ${formatEpsilonMicro(maxMicro)} per job (maxEpsilonPerJob)`,
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
