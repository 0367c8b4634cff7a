/**
 * The node's policy decision for a round: one implementation in the protocol package, shared
 * with the coordinator's job preflight so both decide alike.
 */
export {
  evaluateRound,
  type NoiseMode,
  type RoundDecision,
  type RoundPolicyTerms,
  type RoundRequest,
} from '@fedmark/protocol';
