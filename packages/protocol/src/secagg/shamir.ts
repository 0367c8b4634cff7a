import { combine, split } from 'shamir-secret-sharing';

/**
 * t-out-of-n secret sharing of the 32-byte mask secrets (docs/secure-aggregation.md "Shares"),
 * a thin wrapper over `shamir-secret-sharing` (Privy; audited by Cure53 and Zellic; zero
 * dependencies). It shares byte by byte over GF(2^8), as HashiCorp Vault does, rather than over a
 * prime field: the secrets are bytes, and any field gives Shamir's guarantee that fewer than t
 * shares say nothing about the secret. Each share is the secret's length plus one byte, its
 * x coordinate. At most 255 holders.
 */

/** Shares `secret` among `holders` so that any `threshold` of them recover it. */
export async function shareAmong(
  secret: Uint8Array,
  holders: readonly string[],
  threshold: number
): Promise<Map<string, Uint8Array>> {
  if (new Set(holders).size !== holders.length)
    throw new RangeError('"holders" must be distinct names');
  if (holders.length < 2 || holders.length > 255)
    throw new RangeError(`"holders" expected 2 to 255 names, got ${holders.length}`);
  if (!Number.isInteger(threshold) || threshold < 2 || threshold > holders.length) {
    throw new RangeError(
      `"threshold" expected 2..${holders.length} (the number of holders), got ${threshold}`
    );
  }
  const shares = await split(secret, holders.length, threshold);
  return new Map(holders.map((h, i) => [h, shares[i] as Uint8Array]));
}

/**
 * Recovers a secret from at least `threshold` shares of it. Fewer are refused rather than
 * combined: a combination of too few shares is a wrong value, not an error, so the caller must
 * also check what it recovered against a commitment (a mask public key, a seed hash).
 */
export async function recoverFrom(
  shares: readonly Uint8Array[],
  threshold: number
): Promise<Uint8Array> {
  if (shares.length < threshold) {
    throw new RangeError(`"shares" expected at least ${threshold}, got ${shares.length}`);
  }
  return combine([...shares]);
}
