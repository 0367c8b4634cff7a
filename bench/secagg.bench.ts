/**
 * What masking would add to a node's round (docs/secure-aggregation.md), measured on the building
 * blocks before they are wired into rounds: per node, the X25519 agreements with n - 1 peers, the
 * mask expansion (self mask + n - 1 pairwise masks, ChaCha20 PRG into Z_t) and Shamir sharing of
 * the two secrets, against the comparator in the same run: seeded BFV encryption of the same
 * vector with node-seal (bfv-8192-t60), which every submission already pays. Medians.
 */
import { createHe, HE_PARAMS_IDS } from '../packages/protocol/src/index.ts';
import {
  maskKeyPair,
  maskedInput,
  pairSeed,
  selfSeed,
  shareAmong,
  type MaskRound,
} from '../packages/protocol/src/secagg/index.ts';
import { loadSeal } from '../packages/node/src/crypto/seal.ts';
import { randomBytes } from '../packages/protocol/src/hashing.ts';

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

async function timeMs(runs: number, fn: () => unknown): Promise<number> {
  await fn();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    xs.push(performance.now() - t);
  }
  return Number(median(xs).toFixed(3));
}

export async function run(): Promise<Record<string, unknown>> {
  const seal = await loadSeal();
  const he = createHe(seal, HE_PARAMS_IDS[0]);
  const { secretKey } = he.generateKeys();
  const modulus = he.plainModulus;
  const rows: Record<string, unknown>[] = [];
  for (const slots of [40, 8192]) {
    const values = Array.from({ length: slots }, (_, i) => BigInt(i * 1009) - 4_000n);
    const encryptMs = await timeMs(10, () => he.encryptSymmetric(values, secretKey));
    for (const nodes of [3, 5, 10]) {
      const round: MaskRound = { jobId: 'j-bench', round: 0, length: slots, modulus };
      const names = Array.from({ length: nodes }, (_, i) => `node-${i}`);
      const keys = names.map(() => maskKeyPair());
      const me = keys[0] as ReturnType<typeof maskKeyPair>;
      const agreeMs = await timeMs(10, () =>
        names
          .slice(1)
          .map((peer, i) =>
            pairSeed(
              round,
              names[0] as string,
              me.secretKey,
              peer,
              keys[i + 1]?.publicKey as Uint8Array
            )
          )
      );
      const pairs = names.slice(1).map((peer, i) => ({
        peer,
        seed: pairSeed(
          round,
          names[0] as string,
          me.secretKey,
          peer,
          keys[i + 1]?.publicKey as Uint8Array
        ),
      }));
      const self = selfSeed(round, names[0] as string, randomBytes(32));
      const maskMs = await timeMs(10, () =>
        maskedInput(round, names[0] as string, values, self, pairs)
      );
      const shareMs = await timeMs(10, async () => {
        await shareAmong(randomBytes(32), names, 3);
        await shareAmong(me.secretKey, names, 3);
      });
      const total = agreeMs + maskMs + shareMs;
      rows.push({
        slots,
        nodes,
        encryptMs,
        agreeMs,
        maskMs,
        shareMs,
        maskingOverEncrypt: Number((total / encryptMs).toFixed(3)),
      });
      process.stderr.write(
        `  ${slots} slots, ${nodes} nodes: masking ${total.toFixed(2)} ms vs BFV encrypt ${encryptMs} ms\n`
      );
    }
  }
  he.dispose();
  return {
    comparator: 'node-seal seeded BFV encryption of the same vector (bfv-8192-t60), one ciphertext',
    note: 'per node and round; the added message phases (advertise, share, unmask) and their bytes are not measured: the phases are not wired yet',
    rows,
  };
}
