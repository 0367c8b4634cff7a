/**
 * Real data: the CDNOW purchase log split across 3 in-memory nodes by customer_id mod 3. The
 * two-phase RFM job without noise must reproduce the pooled reference figures of
 * test/data/README.md exactly: phase 1 sums give the means, phase 2 classifies against them.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RFM_CLASSES, SegmentQuerySchema, type SegmentQueryInput } from '@fedmark/protocol';
import { computeSegmentVector } from './segment-vector.ts';
import { memoryUnitSource } from './memory-source.ts';
import type { EventRow, UnitSource } from './types.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const csvPath = resolve(repoRoot, 'test/data/cdnow_events.csv');

function loadNodes(count: number): UnitSource[] {
  const lines = readFileSync(csvPath, 'utf8').trim().split('\n');
  expect(lines[0]).toBe('customer_id,date,quantity,amount');
  const parts: EventRow[][] = Array.from({ length: count }, () => []);
  for (const line of lines.slice(1)) {
    const [id, date, , amount] = line.split(',') as [string, string, string, string];
    parts[Number(id) % count]?.push({
      customerId: id,
      time: Date.parse(`${date}T00:00:00Z`),
      type: 'purchase',
      amount: Number(amount),
      channel: null,
      category: null,
    });
  }
  expect(parts.reduce((s, p) => s + p.length, 0)).toBe(69_659);
  return parts.map((events) => memoryUnitSource({ events, asOf: '1998-07-01' }));
}

const base = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '1998-07-01',
  epsilon: 1,
} as const;

function pooled(nodes: UnitSource[], input: SegmentQueryInput): bigint[] {
  const q = SegmentQuerySchema.parse(input);
  const vectors = nodes.map((n) => computeSegmentVector(q, n).values);
  return (vectors[0] as bigint[]).map((_, i) => vectors.reduce((s, v) => s + (v[i] as bigint), 0n));
}

describe('CDNOW two-phase RFM over 3 nodes', () => {
  const nodes = loadNodes(3);

  // Phase 1: no dimensions, so the layout is count(1), total(1), then one sum slot per measure.
  // Bounds are wide enough not to clip; amounts have cents, so monetary uses scale 100.
  const phase1 = pooled(nodes, {
    ...base,
    measures: [
      { field: 'recency_days', lower: 0, upper: 10_000 },
      { field: 'frequency', lower: 0, upper: 10_000 },
      { field: 'monetary', lower: 0, upper: 1_000_000, scale: 100 },
    ],
  });
  const [count, total, sumR, sumF, sumM] = phase1 as [bigint, bigint, bigint, bigint, bigint];
  const means = {
    recency: Number(sumR) / Number(count),
    frequency: Number(sumF) / Number(count),
    monetary: Number(sumM) / 100 / Number(count),
  };

  it('phase 1 reproduces the pooled means R 368.2216, F 2.9554, M 106.0804', () => {
    expect(count).toBe(23_570n);
    expect(total).toBe(23_570n);
    expect(sumF).toBe(69_659n); // every row is one purchase
    const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
    expect([r4(means.recency), r4(means.frequency), r4(means.monetary)]).toEqual([
      368.2216, 2.9554, 106.0804,
    ]);
  });

  it('phase 2 counts every RFM class exactly', () => {
    const v = pooled(nodes, {
      ...base,
      dimensions: [{ field: 'rfm_class', categories: [...RFM_CLASSES] }],
      params: { rfm: { means } },
    });
    const counts = Object.fromEntries(RFM_CLASSES.map((c, i) => [c, Number(v[i])]));
    expect(counts).toEqual({
      'R+F+M+': 4617,
      'R+F+M-': 1974,
      'R+F-M+': 268,
      'R+F-M-': 1532,
      'R-F+M+': 449,
      'R-F+M-': 543,
      'R-F-M+': 579,
      'R-F-M-': 13608,
    });
    expect(v[RFM_CLASSES.length]).toBe(0n); // __other__: every customer has a purchase
    expect(v[RFM_CLASSES.length + 1]).toBe(23_570n); // total
  });
});
