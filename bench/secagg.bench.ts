/**
 * What secure aggregation adds to a round (docs/secure-aggregation.md), for 3, 5 and 10 nodes, in
 * one run against the comparator: the same round without it (encrypt, sum, two decryptions).
 * Every operation of both rounds runs here, one after another on one core, with the real code:
 * node-seal BFV (bfv-8192-t60), and the protocol's setup, advertisement checks, masking, unmask
 * answers, the coordinator's checks, correction and unmasking. Times are medians of whole rounds
 * (all nodes' work plus the coordinator's, summed: what the round costs in CPU). Bytes per node
 * are the JSON bodies a node sends and receives for the round with and without the phases.
 * HTTP and polling are not in these figures: the setup phase adds one poll cycle before masked
 * input; the unmask phase runs in the same poll as decryption (bench/federation.bench.ts has
 * the end-to-end job times on real processes).
 */
import {
  advertOf,
  answerUnmask,
  applyCorrection,
  checkAdverts,
  createHe,
  createSetup,
  generateBoxKeyPair,
  generateSigningKeyPair,
  HE_PARAMS_IDS,
  bytesToHex,
  maskCorrection,
  maskRelease,
  secaggThreshold,
  setupMatchesAdvert,
  toBase64,
  verifyAdvert,
  type He,
  type SecaggAdvert,
  type SecaggUnmask,
} from '../packages/protocol/src/index.ts';
import { loadSeal } from '../packages/node/src/crypto/seal.ts';

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
}

const RUNS = Number(process.env['FEDMARK_BENCH_RUNS'] ?? 5);
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v));

/** A node's long-term keys: the same every round, as in a federation. */
interface Identity {
  signing: ReturnType<typeof generateSigningKeyPair>;
  box: ReturnType<typeof generateBoxKeyPair>;
}

interface RoundFigures {
  ms: number;
  bytesPerNode: number;
}

/** One round without secure aggregation: every node encrypts, the coordinator sums, two decrypt. */
function plainRound(he: He, sk: Uint8Array, inputs: bigint[][], length: number): RoundFigures {
  const t = performance.now();
  const cts = inputs.map((v) => he.encryptSymmetric(v, sk));
  const agg = he.addCiphertexts(cts);
  he.decrypt(agg, sk, length);
  he.decrypt(agg, sk, length);
  const submission = jsonBytes({ ciphertexts: cts[0]?.map(toBase64) });
  return { ms: performance.now() - t, bytesPerNode: submission };
}

async function maskedRound(
  he: He,
  sk: Uint8Array,
  inputs: bigint[][],
  length: number,
  ids: Identity[]
): Promise<RoundFigures & { sum: bigint[] }> {
  const n = inputs.length;
  const names = inputs.map((_, i) => `node-${String(i).padStart(2, '0')}`);
  const participants = names.map((name, i) => ({ name, boxKey: ids[i]!.box.publicKey }));
  const threshold = secaggThreshold(n, 3);
  const r = { jobId: 'j-bench', round: 0 };
  const t = performance.now();
  // Phase 1: setups, checked by the coordinator.
  const setups: Awaited<ReturnType<typeof createSetup>>[] = [];
  for (const [i, name] of names.entries()) {
    setups.push(
      await createSetup({
        ...r,
        node: name,
        specHash: 'ab'.repeat(32),
        threshold,
        participants,
        signingSecretKey: ids[i]!.signing.secretKey,
        boxSecretKey: ids[i]!.box.secretKey,
      })
    );
  }
  const adverts: SecaggAdvert[] = setups.map((s) => advertOf(s.setup));
  for (const [i, s] of setups.entries()) {
    if (
      !verifyAdvert(adverts[i]!, bytesToHex(ids[i]!.signing.publicKey)) ||
      !setupMatchesAdvert(s.setup)
    )
      throw new Error('bench setup does not verify');
  }
  // Phase 2: every node checks the advertisements, masks and encrypts; the coordinator sums.
  const keyOf = new Map(names.map((name, i) => [name, bytesToHex(ids[i]!.signing.publicKey)]));
  const cts = inputs.map((v, i) => {
    const checked = checkAdverts(adverts[i]!, adverts, (x) => keyOf.get(x));
    const masked = maskRelease(
      { ...r, modulus: he.plainModulus },
      names[i]!,
      v,
      setups[i]!.secrets,
      checked
    );
    return he.encryptSymmetric(masked, sk);
  });
  const agg = he.addCiphertexts(cts);
  // Phases 4 and 5: survivors answer, two decrypt, the coordinator corrects.
  const sets = { ...r, specHash: 'ab'.repeat(32), survivors: names, dropped: [] };
  const boxKeys = new Map(names.map((name, i) => [name, ids[i]!.box.publicKey]));
  const answers: SecaggUnmask[] = names.map((name, i) =>
    answerUnmask({
      sets,
      me: name,
      boxes: setups.map((s) => ({ owner: s.setup.node, box: s.setup.shares[name] as string })),
      ownerBoxKey: (o) => boxKeys.get(o),
      boxSecretKey: ids[i]!.box.secretKey,
      signingSecretKey: ids[i]!.signing.secretKey,
    })
  );
  const maskedSum = he.decrypt(agg, sk, length);
  he.decrypt(agg, sk, length);
  const correction = await maskCorrection({
    sets,
    length,
    modulus: he.plainModulus,
    threshold,
    adverts,
    answers,
  });
  const sum = applyCorrection(maskedSum, correction, he.plainModulus);
  const ms = performance.now() - t;
  const node0 = names[0] as string;
  const bytesPerNode =
    jsonBytes({ ciphertexts: cts[0]?.map(toBase64) }) +
    jsonBytes(setups[0]!.setup) +
    jsonBytes(answers[0]) +
    jsonBytes({ adverts }) +
    jsonBytes({
      shares: setups.map((s) => ({ owner: s.setup.node, box: s.setup.shares[node0] })),
      ...sets,
    });
  return { ms, bytesPerNode, sum };
}

export async function run(): Promise<Record<string, unknown>> {
  const seal = await loadSeal();
  const he = createHe(seal, HE_PARAMS_IDS[0]);
  const { secretKey } = he.generateKeys();
  const rows: Record<string, unknown>[] = [];
  for (const length of [40, 8192]) {
    for (const nodes of [3, 5, 10]) {
      const inputs = Array.from({ length: nodes }, (_, k) =>
        Array.from({ length }, (_, i) => BigInt(((i * 1009 + k * 7919) % 20_000) - 4_000))
      );
      const expected = inputs[0]!.map((_, i) => inputs.reduce((s, v) => s + (v[i] as bigint), 0n));
      const plain: number[] = [];
      const masked: number[] = [];
      let bytes = { plain: 0, masked: 0 };
      const ids = inputs.map(() => ({
        signing: generateSigningKeyPair(),
        box: generateBoxKeyPair(),
      }));
      await maskedRound(he, secretKey, inputs, length, ids); // warm-up (and the box agreements)
      for (let run = 0; run < RUNS; run++) {
        const p = plainRound(he, secretKey, inputs, length);
        const m = await maskedRound(he, secretKey, inputs, length, ids);
        if (m.sum.join() !== expected.join())
          throw new Error('secure aggregation bench: wrong sum');
        plain.push(p.ms);
        masked.push(m.ms);
        bytes = { plain: p.bytesPerNode, masked: m.bytesPerNode };
      }
      const row = {
        slots: length,
        nodes,
        threshold: secaggThreshold(nodes, 3),
        roundMsWithout: Number(median(plain).toFixed(1)),
        roundMsWith: Number(median(masked).toFixed(1)),
        timeRatio: Number((median(masked) / median(plain)).toFixed(3)),
        bytesPerNodeWithout: bytes.plain,
        bytesPerNodeWith: bytes.masked,
        bytesRatio: Number((bytes.masked / bytes.plain).toFixed(4)),
      };
      rows.push(row);
      process.stderr.write(
        `  ${length} slots, ${nodes} nodes: round ${row.roundMsWith} ms with secure aggregation vs ${row.roundMsWithout} ms without (${row.timeRatio}x); ${row.bytesPerNodeWith} vs ${row.bytesPerNodeWithout} bytes per node\n`
      );
    }
  }
  he.dispose();
  return {
    comparator:
      'the same round without secure aggregation, in the same run: seeded BFV encryption by every node, homomorphic sum, two decryptions (node-seal, bfv-8192-t60)',
    target: 'time overhead at most 1.5x',
    addedPhases: [
      'setup: one message from each node (advertisement + boxed shares) before masked input: one extra poll cycle',
      'unmask: one message from each survivor, in the same poll as decryption',
    ],
    note: 'CPU of the whole round summed over all parties, one core; HTTP and polling latency excluded (see federation bench)',
    rows,
  };
}
