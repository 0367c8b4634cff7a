/**
 * Internal: "consent for :purpose in force at :consentAt" for the customer row aliased `c`.
 * The latest consent record at or before that moment decides; on a tie at the same millisecond
 * 'revoked' sorts after 'granted' in DESC order first, so a revocation wins (the conservative
 * reading). The ORDER BY follows the consents primary key backwards, so no sort is needed.
 */
export const CONSENT_IN_FORCE_SQL = `(SELECT k.status FROM consents k
  WHERE k.customer = c.id AND k.purpose = :purpose AND k.time <= :consentAt
  ORDER BY k.time DESC, k.status DESC LIMIT 1) = 'granted'`;
