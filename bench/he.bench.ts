/**
 * HE costs for the default parameter set (HE_PARAMS_IDS[0], bfv-8192-t60) (packages/protocol/src/he, SEAL 4 via node-seal 6.0.3):
 * context build, key generation, seeded symmetric encryption, public-key encryption, ciphertext
 * load (validation), homomorphic add, decryption, and bytes per ciphertext. Expansion =
 * ciphertext bytes / (8 bytes x layout length): the BFV overhead over sending the same vector
 * as raw 64-bit integers (target for a whole submission: at most 4x on realistic layouts); wire
 * expansion counts the ciphertexts as a submission sends them (base64 in JSON, gzip).
 */
import {
  createHe,
  encodeRequestBody,
  HE_PARAMS_IDS,
  toBase64,
} from '../packages/protocol/src/index.ts';
import { loadSeal } from '../packages/node/src/crypto/seal.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

function timeMs(n: number, fn: () => void): number {
  fn(); // warm-up
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    fn();
    xs.push(performance.now() - t);
  }
  return Number(median(xs).toFixed(3));
}

export async function run(): Promise<Record<string, unknown>> {
  const seal = await loadSeal();
  let t = performance.now();
  const he = createHe(seal, HE_PARAMS_IDS[0]);
  const contextBuildMs = Number((performance.now() - t).toFixed(1));
  try {
    const keygenMs = timeMs(5, () => he.generateKeys());
    const { secretKey, publicKey } = he.generateKeys();
    const full = Array.from({ length: he.slotCount }, (_, i) => BigInt(i * 1009) - 4_000_000n);
    const seeded = he.encryptSymmetric(full, secretKey);
    const pub = he.encryptPublic(full, publicKey);
    const sum = he.addCiphertexts([seeded, seeded]);
    const encryptSymmetricMs = timeMs(20, () => he.encryptSymmetric(full, secretKey));
    const encryptPublicMs = timeMs(20, () => he.encryptPublic(full, publicKey));
    const loadSeededMs = timeMs(20, () => he.loadCiphertext(seeded[0] as Uint8Array));
    const loadFullMs = timeMs(20, () => he.loadCiphertext(sum[0] as Uint8Array));
    const addTwoMs = timeMs(20, () => he.addCiphertexts([seeded, seeded]));
    const contributions = Array.from({ length: 50 }, () =>
      he.encryptSymmetric(full.slice(0, 100), secretKey)
    );
    t = performance.now();
    he.addCiphertexts(contributions);
    const aggregate50Ms = Number((performance.now() - t).toFixed(1));
    const decryptMs = timeMs(20, () => he.decrypt(sum, secretKey, he.slotCount));
    const seededBytes = (seeded[0] as Uint8Array).length;
    const compressedBytes = (pub[0] as Uint8Array).length;
    const aggregateBytes = (sum[0] as Uint8Array).length;
    const expansion: Record<
      string,
      {
        ciphertexts: number;
        seededBytes: number;
        plainBytes: number;
        expansion: number;
        wireBytes: number;
        wireExpansion: number;
      }
    > = {};
    for (const length of [8, 100, 1000, 8192]) {
      const cts = he.encryptSymmetric(full.slice(0, length), secretKey);
      const bytes = cts.reduce((s, c) => s + c.length, 0);
      // On the wire: base64 in the submission's JSON, then the request's gzip (request-body.ts).
      const wire = encodeRequestBody(JSON.stringify({ ciphertexts: cts.map(toBase64) })).body;
      const wireBytes = typeof wire === 'string' ? Buffer.byteLength(wire) : wire.length;
      expansion[`layout${length}`] = {
        ciphertexts: cts.length,
        seededBytes: bytes,
        plainBytes: 8 * length,
        expansion: Number((bytes / (8 * length)).toFixed(2)),
        wireBytes,
        wireExpansion: Number((wireBytes / (8 * length)).toFixed(2)),
      };
    }
    return {
      paramsId: he.paramsId,
      slots: he.slotCount,
      plainModulus: he.plainModulus.toString(),
      contextBuildMs,
      keygenMs,
      encryptSymmetricMs,
      encryptPublicMs,
      loadSeededMs,
      loadFullMs,
      addTwoContributionsMs: addTwoMs,
      aggregate50ContributionsMs: aggregate50Ms,
      decryptMs,
      ciphertextBytesSeeded: seededBytes,
      ciphertextBytesPublicKeyCompressed: compressedBytes,
      ciphertextBytesAggregate: aggregateBytes,
      publicKeyBytes: publicKey.length,
      secretKeyBytes: secretKey.length,
      expansion,
      note: 'times are medians on a shared 2-core machine; add/aggregate include loading (and validating) each serialized ciphertext and serializing the sum with zstd',
    };
  } finally {
    he.dispose();
  }
}
