/**
 * Exact discrete Laplace sampling throughput (CKS20, packages/node/src/privacy) at the scales a
 * node meets: t = 1 (epsilon 1, sensitivity 1), t = 2.83, t = 100, t = 10^4, and a bigint-path
 * scale (a sum of squares block: numerator above 2^32). Plus addNoise over a 1,000-slot layout.
 */
import { layoutOf, SegmentQuerySchema } from '../packages/protocol/src/index.ts';
import { discreteLaplaceSampler } from '../packages/node/src/privacy/discrete-laplace.ts';
import { addNoise } from '../packages/node/src/privacy/noise.ts';

function samplesPerSecond(num: bigint, den: bigint, seconds = 1.5): number {
  const sample = discreteLaplaceSampler(num, den);
  for (let i = 0; i < 10_000; i++) sample(); // warm-up
  let n = 0;
  let sink = 0n;
  const start = performance.now();
  const until = start + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 10_000; i++) sink ^= sample();
    n += 10_000;
  }
  const elapsed = (performance.now() - start) / 1000;
  if (sink === -1n) console.log('');
  return Math.round(n / elapsed);
}

export async function run(): Promise<Record<string, unknown>> {
  const q = SegmentQuerySchema.parse({
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-11-01',
    epsilon: 1,
    dimensions: [
      { field: 'attr.bucket', categories: Array.from({ length: 332 }, (_, i) => `b${i}`) },
    ],
    measures: [{ field: 'monetary', lower: 0, upper: 1000, scale: 100, squares: true }],
  });
  const layout = layoutOf(q);
  const values = new Array<bigint>(layout.length).fill(1000n);
  const reps = 200;
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) addNoise(layout, values);
  const addNoiseMs = (performance.now() - t0) / reps;
  return {
    samplesPerSecondScale1: samplesPerSecond(1n, 1n),
    samplesPerSecondScale2_83: samplesPerSecond(283n, 100n),
    samplesPerSecondScale100: samplesPerSecond(100n, 1n),
    samplesPerSecondScale1e4: samplesPerSecond(10_000n, 1n),
    samplesPerSecondBigintScale3: samplesPerSecond(3_000_000_000_001n, 1_000_000_000_000n),
    addNoiseSlots: layout.length,
    addNoiseMsPerVector: Number(addNoiseMs.toFixed(3)),
  };
}
