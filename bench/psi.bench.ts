/**
 * Cost per point of the PSI-cardinality primitives (docs/psi.md): hashing a matching key to
 * ristretto255 and blinding a point (one constant-time scalar multiplication, @noble/curves, what
 * packages/protocol/src/psi uses), against the same scalar multiplication on Curve25519 through
 * node:crypto's X25519 (OpenSSL), the candidate comparator for a faster group. X25519's
 * x-only ladder with clamped scalars commutes, so DDH-PSI could run on it; this bench measures
 * whether the speed would be worth that change. Medians of 5 batches in one run.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';
import {
  PsiSecret,
  hashMatchingKeys,
  psiInitiatorCount,
  psiInitiatorRequest,
  psiResponderReply,
} from '../packages/protocol/src/index.ts';

const POINTS = Number(process.env['PSI_BENCH_POINTS'] ?? 300);

function medianOf5(fn: () => void): number {
  const runs: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    fn();
    runs.push(performance.now() - t0);
  }
  return runs.sort((x, y) => x - y)[2] as number;
}

/** X25519 scalar multiplications through OpenSSL: `count` points, one secret scalar. */
function opensslX25519(count: number): () => void {
  const secret = generateKeyPairSync('x25519').privateKey;
  const raw = Array.from(
    { length: count },
    () => generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' }).x as string
  );
  return () => {
    for (const x of raw) {
      const publicKey = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x }, format: 'jwk' });
      diffieHellman({ privateKey: secret, publicKey });
    }
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const keys = Array.from({ length: POINTS }, (_, i) => `customer-${i}@example.org`);
  const other = keys.map((k, i) => (i % 2 === 0 ? k : `other-${i}@example.org`));
  const hashMs = medianOf5(() => hashMatchingKeys('fed-bench', 'email', keys)) / POINTS;
  const a = PsiSecret.random();
  const b = PsiSecret.random();
  const own = hashMatchingKeys('fed-bench', 'email', keys);
  const theirs = hashMatchingKeys('fed-bench', 'email', other);
  const blindMs = medianOf5(() => psiInitiatorRequest({ secret: a, ownPoints: own })) / POINTS;
  // One whole run, checked: half of the keys are shared.
  const t0 = performance.now();
  const request = psiInitiatorRequest({ secret: a, ownPoints: own });
  const reply = psiResponderReply({ secret: b, request, ownPoints: theirs });
  const count = psiInitiatorCount({ secret: a, requestSize: POINTS, reply }).intersectionSize;
  const wholeMs = performance.now() - t0;
  if (count !== Math.ceil(POINTS / 2)) throw new Error(`PSI counted ${count}`);
  const x25519Ms = medianOf5(opensslX25519(POINTS)) / POINTS;
  return {
    points: POINTS,
    ristretto255: {
      hashToGroupMsPerKey: hashMs,
      blindMsPerPoint: blindMs,
      wholeRunMs: wholeMs,
      wholeRunMsPerPoint: wholeMs / POINTS,
    },
    opensslX25519MsPerPoint: x25519Ms,
    blindRatioNobleToOpenssl: blindMs / x25519Ms,
    projected100kPerSideSeconds: {
      ristretto255: ((hashMs + 2 * blindMs) * 100_000) / 1000,
      x25519ScalarMultOnly: (2 * x25519Ms * 100_000) / 1000,
    },
  };
}
