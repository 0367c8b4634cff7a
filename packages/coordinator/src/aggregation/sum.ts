import { ProtocolError, toBase64, type He } from '@fedmark/protocol';

/**
 * Homomorphic sum of the contributions of one round: slot-wise addition of each node's
 * ciphertexts (BFV addition is exact: docs/architecture.md §4). The coordinator never decrypts; it
 * only adds. Returns the aggregate as base64 ciphertexts, in slot-block order.
 */
export function sumContributions(
  he: He,
  contributions: readonly (readonly Uint8Array[])[]
): string[] {
  if (contributions.length === 0)
    throw new ProtocolError('QUORUM_NOT_MET', 'no contributions to aggregate');
  return he.addCiphertexts(contributions).map(toBase64);
}
