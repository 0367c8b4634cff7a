import { canonicalHash } from './hashing.ts';
import type { Canonical } from './encoding.ts';
import type { Dimension, Measure, SegmentQuery } from './schemas/segment-query.ts';

/** Extra cell after declared categories: undeclared or missing values. */
export const OTHER_CELL = '__other__';
/** Extra cell after bins: missing values. */
export const MISSING_CELL = '__missing__';

export type BlockKind = 'count' | 'total' | 'sum' | 'sumsq';

export interface LayoutBlock {
  /** `count`, `total`, `sum:<field>`, `sumsq:<field>`. */
  name: string;
  kind: BlockKind;
  field?: string;
  /** Slot offset of the block's first cell in the vector. */
  offset: number;
  /** Number of slots: cells for count/sum/sumsq, 1 for total. */
  length: number;
  /** Fixed-point scale: a slot value v means v / scale in the field's unit (count/total: 1). */
  scale: number;
  /** L1 sensitivity of the whole block to adding/removing one customer, in slot units. */
  sensitivity: bigint;
  /** Share of the query epsilon, in micro-epsilon (integers keep composition exact). */
  epsilonMicro: number;
}

export interface SegmentLayout {
  /** Labels of every cell, in order: one label per dimension (empty array for a query with no dimensions). */
  cells: string[][];
  blocks: LayoutBlock[];
  /** Total number of slots. */
  length: number;
  /** SHA-256 over the canonical layout description: nodes and coordinator compare it. */
  hash: string;
}

export function dimensionLabels(d: Dimension): string[] {
  if ('categories' in d) return [...d.categories, OTHER_CELL];
  const e = d.edges;
  const labels = [`<${e[0]}`];
  for (let i = 0; i + 1 < e.length; i++) labels.push(`[${e[i]},${e[i + 1]})`);
  labels.push(`>=${e[e.length - 1]}`, MISSING_CELL);
  return labels;
}

function cartesian(lists: string[][]): string[][] {
  return lists.reduce<string[][]>(
    (acc, list) => acc.flatMap((prefix) => list.map((l) => [...prefix, l])),
    [[]]
  );
}

/** Per-row maximum absolute slot contribution of a measure (after clipping and fixed point). */
function measureBound(m: Measure, kind: 'sum' | 'sumsq'): bigint {
  const s = kind === 'sum' ? m.scale : m.squareScale;
  const a = Math.max(Math.abs(Math.round(m.lower * s)), Math.abs(Math.round(m.upper * s)));
  return kind === 'sum' ? BigInt(a) : BigInt(a) * BigInt(a);
}

/**
 * The public layout of a query's output vector: blocks `count` (per cell), `total` (1 slot:
 * rows counted before suppression), then per measure `sum:<field>` and, if asked,
 * `sumsq:<field>` (per cell). Sensitivities assume each customer contributes at most
 * maxRowsPerCustomer rows, each to one cell (user-level DP:
 * docs/analytics.md "Units and contribution bounding").
 */
export function layoutOf(q: SegmentQuery): SegmentLayout {
  const cells = cartesian(q.dimensions.map(dimensionLabels));
  const rows = BigInt(q.maxRowsPerCustomer);
  const draft: Omit<LayoutBlock, 'offset' | 'epsilonMicro'>[] = [
    { name: 'count', kind: 'count', length: cells.length, scale: 1, sensitivity: rows },
    { name: 'total', kind: 'total', length: 1, scale: 1, sensitivity: rows },
  ];
  for (const m of q.measures) {
    draft.push({
      name: `sum:${m.field}`,
      kind: 'sum',
      field: m.field,
      length: cells.length,
      scale: m.scale,
      sensitivity: rows * measureBound(m, 'sum'),
    });
    if (m.squares) {
      draft.push({
        name: `sumsq:${m.field}`,
        kind: 'sumsq',
        field: m.field,
        length: cells.length,
        scale: m.squareScale * m.squareScale,
        sensitivity: rows * measureBound(m, 'sumsq'),
      });
    }
  }
  for (const name of Object.keys(q.epsilonWeights)) {
    if (!draft.some((b) => b.name === name))
      throw new RangeError(`epsilonWeights names unknown block "${name}"`);
  }
  const weights = draft.map((b) => q.epsilonWeights[b.name] ?? 1);
  const totalWeight = weights.reduce((s, w) => s + w, 0);
  const totalMicro = Math.round(q.epsilon * 1e6);
  // Floor each share so the shares never sum above the charged epsilon; the remainder goes to the
  // first block, keeping the sum exactly equal to the query's epsilon.
  const shares = weights.map((w) => Math.floor((totalMicro * w) / totalWeight));
  shares[0] = (shares[0] as number) + totalMicro - shares.reduce((s, x) => s + x, 0);
  if (shares.some((s) => s < 1))
    throw new RangeError('epsilon too small to split across the query blocks');
  let offset = 0;
  const blocks: LayoutBlock[] = draft.map((b, i) => {
    const block = { ...b, offset, epsilonMicro: shares[i] as number };
    offset += b.length;
    return block;
  });
  const description: Canonical = {
    unit: q.unit,
    maxRowsPerCustomer: q.maxRowsPerCustomer,
    cells,
    blocks: blocks.map((b) => ({ ...b, field: b.field ?? null, sensitivity: b.sensitivity })),
  };
  return { cells, blocks, length: offset, hash: canonicalHash('segment-layout', description) };
}
