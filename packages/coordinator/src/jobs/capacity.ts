/**
 * The plaintext-capacity check every round passes before it opens (segment and train rounds):
 * BFV sums are taken mod the plaintext modulus t (docs/federation-protocol.md "Fixed point and
 * BFV packing"), so a sum that could exceed ±(t-1)/2 would wrap around and decrypt to garbage.
 */
import { HE_PARAMS, MAX_CIPHERTEXTS, ProtocolError, type HeParamsId } from '@fedmark/protocol';

/** The remedy open to every round: tell the coordinator how many rows a node really holds. */
export const MAX_ROWS_REMEDY =
  "start the coordinator with a --max-rows-per-node that matches the nodes' data";

export interface RoundCapacity<TBlock extends { name: string }> {
  round: number;
  /** Slots in the round's layout. */
  slots: number;
  blocks: readonly TBlock[];
  /** The largest |value| one node's slot in `block` can hold: its rows' bound plus the noise tail. */
  perNode(block: TBlock): bigint;
  nodes: number;
  heParams: HeParamsId;
  maxRowsPerNode: number;
  /** What the job's author or operator can change when a block could wrap (ends the error). */
  remedy: string;
}

/**
 * Refuses (BAD_REQUEST) a round needing more ciphertexts than a submission may carry, or one
 * where `nodes` x a block's per-node bound is beyond the plaintext range.
 */
export function checkRoundCapacity<TBlock extends { name: string }>(
  c: RoundCapacity<TBlock>
): void {
  const p = HE_PARAMS[c.heParams];
  const cts = Math.ceil(c.slots / p.slotCount);
  if (cts > MAX_CIPHERTEXTS) {
    throw new ProtocolError(
      'BAD_REQUEST',
      `round ${c.round} layout has ${c.slots} slots = ${cts} ciphertexts; at most ${MAX_CIPHERTEXTS} are allowed`
    );
  }
  const half = (p.plainModulus - 1n) / 2n;
  for (const b of c.blocks) {
    const total = BigInt(c.nodes) * c.perNode(b);
    if (total > half) {
      throw new ProtocolError(
        'BAD_REQUEST',
        `round ${c.round} block ${b.name}: ${c.nodes} nodes x ${c.maxRowsPerNode} rows could reach ${total}, beyond the plaintext range ±${half}; ${c.remedy}`
      );
    }
  }
}
