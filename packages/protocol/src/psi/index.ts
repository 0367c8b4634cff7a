/**
 * Shared-customer matching (docs/psi.md): matching-key normalisation, federation-keyed
 * hash_to_curve to curve25519 (RFC 9380), and a DDH PSI-cardinality exchange blinded with X25519
 * (RFC 7748, node:crypto) in which the initiator learns |X ∩ Y| and the set sizes, never which
 * customers are shared.
 *
 * @example
 * import {
 *   PsiSecret, hashMatchingKeys, normaliseEmail,
 *   psiInitiatorCount, psiInitiatorRequest, psiResponderReply,
 * } from '@fedmark/protocol';
 * const pts = (keys: string[]) => hashMatchingKeys('fed-1', 'email', keys.map(normaliseEmail));
 * const a = PsiSecret.random();
 * const b = PsiSecret.random();
 * const request = psiInitiatorRequest({ secret: a, ownPoints: pts(['Ann@x.org', 'bo@x.org']) });
 * const reply = psiResponderReply({ secret: b, request, ownPoints: pts(['ann@x.org']) });
 * psiInitiatorCount({ secret: a, requestSize: 2, reply });
 * // { intersectionSize: 1, initiatorSetSize: 2, responderSetSize: 1 }
 * a.destroy();
 * b.destroy();
 *
 * @example
 * // Dummies both sides derive from a public scope, and random points that pad to a bucket:
 * import { hashPsiDummies, randomPsiPoints } from '@fedmark/protocol';
 * const dummies = hashPsiDummies({ federationId: 'fed-1', scope: 'job-7:n1:n2', from: 0, count: 4 });
 * const padding = randomPsiPoints(12); // 12 * 32 bytes, matching nothing
 */
export {
  MATCHING_KEY_KINDS,
  MATCHING_KEY_REFUSALS,
  MatchingKeyRefused,
  normaliseEmail,
  normaliseMatchingKey,
  normaliseNationalIdHash,
  normalisePartnerId,
  normalisePhone,
  type MatchingKeyKind,
  type MatchingKeyRefusal,
  type PhoneNormaliseOptions,
} from './normalise-key.ts';
export {
  PSI_DST_VERSION,
  PSI_HASH_SUITE,
  PSI_POINT_BYTES,
  hashMatchingKey,
  hashMatchingKeys,
  hashToCurve25519,
  isValidPsiPoint,
  psiDomainTag,
} from './hash-to-group.ts';
export { hashPsiDummies, randomPsiPoints } from './psi-padding.ts';
export { PSI_DEFAULT_LIMITS, PSI_MAX_SET_SIZE, type PsiLimits } from './psi-limits.ts';
export { PsiSecret } from './psi-secret.ts';
export {
  psiInitiatorCount,
  psiInitiatorRequest,
  psiResponderReply,
  uniqueMatchingKeys,
  type PsiCardinality,
  type PsiReply,
} from './psi-cardinality.ts';
