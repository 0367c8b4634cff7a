import { describe, expect, it } from 'vitest';
import { layoutOf, SegmentQuerySchema, type SegmentLayout } from '@fedmark/protocol';
import { addNoise, layoutEpsilonMicro, type NoiseBlock } from './noise.ts';
import { discreteLaplaceVariance } from './discrete-laplace.ts';

const query = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-11-01',
  epsilon: 1,
  dimensions: [{ field: 'lifecycle_stage', categories: ['intro', 'growth', 'mature', 'decline'] }],
  measures: [{ field: 'monetary', lower: 0, upper: 500, scale: 100, squares: true }],
});

describe('addNoise', () => {
  const layout = layoutOf(query);

  it('noises every slot, zeros included, with its block variance', () => {
    const zeros = new Array<bigint>(layout.length).fill(0n);
    // Over 30 runs each slot is non-zero at least once (P[0] <= 0.25 even at the smallest scale).
    const touched = new Array<boolean>(layout.length).fill(false);
    for (let r = 0; r < 30; r++) {
      const out = addNoise(layout, zeros);
      out.values.forEach((v, i) => {
        if (v !== 0n) touched[i] = true;
      });
    }
    expect(touched.every(Boolean)).toBe(true);
    const { variance } = addNoise(layout, zeros);
    for (const b of layout.blocks) {
      const expected = discreteLaplaceVariance(b.sensitivity * 1_000_000n, BigInt(b.epsilonMicro));
      for (let i = b.offset; i < b.offset + b.length; i++) expect(variance[i]).toBe(expected);
    }
  });

  it('leaves the input untouched and keeps the mean (unbiased noise)', () => {
    const values = new Array<bigint>(layout.length).fill(1000n);
    const sum = new Array<number>(layout.length).fill(0);
    const runs = 2000;
    for (let r = 0; r < runs; r++) {
      addNoise(layout, values).values.forEach((v, i) => {
        sum[i]! += Number(v);
      });
    }
    expect(values.every((v) => v === 1000n)).toBe(true);
    const count = layout.blocks[0]!;
    const sd = Math.sqrt(
      discreteLaplaceVariance(count.sensitivity * 1_000_000n, BigInt(count.epsilonMicro)) / runs
    );
    expect(Math.abs(sum[0]! / runs - 1000)).toBeLessThan(5 * sd);
  });

  it('refuses a vector of the wrong length and a layout with an un-noised slot', () => {
    expect(() => addNoise(layout, [1n])).toThrow(/expected length/);
    const gap: SegmentLayout = { ...layout, length: layout.length + 1 };
    expect(() => addNoise(gap, new Array<bigint>(layout.length + 1).fill(0n))).toThrow(
      /without noise/
    );
  });

  it('a block with sensitivity 0 is released as-is with variance 0', () => {
    const l: SegmentLayout = {
      cells: [[]],
      blocks: [
        {
          name: 'sum:x',
          kind: 'sum',
          field: 'x',
          offset: 0,
          length: 1,
          scale: 1,
          sensitivity: 0n,
          epsilonMicro: 1_000_000,
        },
      ],
      length: 1,
      hash: 'h',
    };
    expect(addNoise(l, [0n])).toEqual({ values: [0n], variance: [0] });
  });
});

describe('layoutEpsilonMicro', () => {
  const block = (epsilonMicro: number, partition?: string): NoiseBlock => ({
    name: 'b',
    offset: 0,
    length: 1,
    sensitivity: 1n,
    epsilonMicro,
    ...(partition ? { partition } : {}),
  });

  it('adds blocks that read everyone (sequential composition), as a segment layout does', () => {
    expect(layoutEpsilonMicro({ blocks: [block(100), block(250), block(650)] })).toBe(1000);
    expect(layoutEpsilonMicro(layoutOf(query))).toBe(1_000_000);
  });

  it('charges only the dearest of disjoint partitions (parallel composition), on top of shared blocks', () => {
    expect(
      layoutEpsilonMicro({
        blocks: [block(300, 'training'), block(600, 'training'), block(900, 'validation')],
      })
    ).toBe(900);
    expect(layoutEpsilonMicro({ blocks: [block(300, 'training'), block(800, 'validation')] })).toBe(
      800
    );
    expect(
      layoutEpsilonMicro({ blocks: [block(50), block(300, 'training'), block(200, 'validation')] })
    ).toBe(350);
    expect(layoutEpsilonMicro({ blocks: [] })).toBe(0);
  });
});
