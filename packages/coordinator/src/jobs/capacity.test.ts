import { describe, expect, it } from 'vitest';
import { HE_PARAMS, MAX_CIPHERTEXTS, ProtocolError } from '@fedmark/protocol';
import { checkRoundCapacity, MAX_ROWS_REMEDY } from './capacity.ts';
import { checkTrainCapacity, type TrainRoundPlan } from './train-rounds.ts';

const grad = { name: 'grad', offset: 0, length: 10, sensitivity: 1000n, epsilonMicro: 100_000 };
// checkTrainCapacity reads only the layout length and blocks of a plan.
const plan = { layoutLength: 10, blocks: [grad] } as unknown as TrainRoundPlan;

describe('round capacity (plaintext range and ciphertext count)', () => {
  it('a train round: 3 nodes fit under t40, 64 nodes could wrap (rows x sensitivity + a 60-scale noise tail each)', () => {
    expect(() => checkTrainCapacity(plan, 3, 'bfv-8192-t40', 10_000_000, 2)).not.toThrow();
    // per node 10^7 x 1000 + ceil(60 x 1000 / 0.1) = 10_000_600_000; x 64 = 640_038_400_000 > (t-1)/2.
    expect(() => checkTrainCapacity(plan, 64, 'bfv-8192-t40', 10_000_000, 2)).toThrow(
      "round 2 block grad: 64 nodes x 10000000 rows could reach 640038400000, beyond the plaintext range ±549755740160; lower clipNorm or start the coordinator with a --max-rows-per-node that matches the nodes' data"
    );
  });

  it('refuses more ciphertexts than a submission may carry before looking at any block', () => {
    const slots = MAX_CIPHERTEXTS * HE_PARAMS['bfv-8192-t40'].slotCount + 1;
    let seen = 0;
    const run = () =>
      checkRoundCapacity({
        round: 0,
        slots,
        blocks: [grad],
        perNode: () => (seen++, 0n),
        nodes: 1,
        heParams: 'bfv-8192-t40',
        maxRowsPerNode: 1,
        remedy: MAX_ROWS_REMEDY,
      });
    expect(run).toThrow(ProtocolError);
    expect(run).toThrow(
      `round 0 layout has ${slots} slots = ${MAX_CIPHERTEXTS + 1} ciphertexts; at most ${MAX_CIPHERTEXTS} are allowed`
    );
    expect(seen).toBe(0);
  });
});
