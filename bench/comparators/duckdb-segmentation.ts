/**
 * DuckDB as the comparator for the node's import and segmentation (issue 16): the same events
 * CSV read by DuckDB's read_csv, and the same RFM + lifecycle + NES segmentation written as one
 * DuckDB query from the definitions in packages/node/src/analytics/customer-fields.ts and
 * docs/analytics.md. One thread (`SET threads = 1`), as the node's SQLite path uses one.
 *
 * The query's cell counts are checked against the node's vector, so the ratio compares the same
 * work: a comparator that computed something else would say nothing.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { dimensionLabels, type SegmentQuery } from '../../packages/protocol/src/index.ts';

/** CPU seconds (user + system) of this process since `from`; DuckDB runs inside it. */
function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

/** Per cell (labels joined by '|'): customers and the fixed-point monetary sum. */
export type DuckDbCells = Map<string, { count: number; monetary: number }>;

export interface DuckDbRun {
  readCsvSeconds: number;
  readCsvCpuSeconds: number;
  rows: number;
  /** One per query, in order. */
  segmentations: { seconds: number; cpuSeconds: number; cells: DuckDbCells }[];
}

const q = (x: number): string => String(x);

/**
 * The segmentation of `query` (dimensions lifecycle_stage, nes_status, rfm_score_sum; one
 * monetary measure) for customers known only from events, as the node-store bench imports them
 * (no signup date, every customer with a lawful basis). Fails on any other shape, so the bench
 * cannot silently compare different queries.
 */
function segmentationSql(query: SegmentQuery): string {
  const fields = query.dimensions.map((d) => d.field).join(',');
  const measure = query.measures[0];
  if (fields !== 'lifecycle_stage,nes_status,rfm_score_sum' || !measure)
    throw new Error(`duckdb comparator: unsupported query shape ${fields}`);
  const rfmDim = query.dimensions[2];
  if (!rfmDim || !('edges' in rfmDim)) throw new Error('duckdb comparator: rfm_score_sum edges');
  const asOfDay = Date.parse(`${query.asOf}T00:00:00Z`) / 86_400_000;
  const { lifecycle: lc, nes, rfm } = query.params;
  const t = rfm.scoreThresholds;
  const down = (v: string, th: readonly number[]): string =>
    `1 + ${th.map((x) => `(${q(x)} >= ${v})::INT`).join(' + ')}`;
  const up = (v: string, th: readonly number[]): string =>
    `1 + ${th.map((x) => `(${q(x)} <= ${v})::INT`).join(' + ')}`;
  const labels = dimensionLabels(rfmDim);
  const e = rfmDim.edges;
  const bin = [
    `WHEN s IS NULL THEN '${labels[labels.length - 1]}'`,
    `WHEN s < ${q(e[0] as number)} THEN '${labels[0]}'`,
    ...e.slice(0, -1).map((_lo, i) => `WHEN s < ${q(e[i + 1] as number)} THEN '${labels[i + 1]}'`),
    `ELSE '${labels[e.length]}'`,
  ].join(' ');
  const cats = (dim: number): string =>
    (query.dimensions[dim] as { categories: string[] }).categories.map((c) => `'${c}'`).join(',');
  const [m0, m1, m2] = nes.multiples;
  const scale = measure.scale;
  return `
WITH c AS (
  -- Every customer the file names counts, also one whose rows all fall on or after asOf (as the
  -- node's customers LEFT JOIN events does): those are inactive, so decline.
  SELECT customer_id,
    count(*) FILTER (WHERE p) AS pc,
    count(DISTINCT d) FILTER (WHERE p) AS pd,
    min(d) FILTER (WHERE p) AS fp,
    max(d) FILTER (WHERE p) AS lp,
    max(d) FILTER (WHERE early) AS la,
    coalesce(sum(amount) FILTER (WHERE p), 0) AS m
  FROM (SELECT customer_id, amount, floor(epoch_ms(time) / 86400000)::BIGINT AS d,
          time < TIMESTAMP '${query.asOf} 00:00:00' AS early,
          type = 'purchase' AND time < TIMESTAMP '${query.asOf} 00:00:00' AS p
        FROM ev) x
  GROUP BY customer_id
), k AS (
  SELECT *,
    CASE WHEN fp IS NULL THEN NULL ELSE
      greatest(0, (year(a) - year(DATE '1970-01-01' + fp::INT)) * 12
        + (month(a) - month(DATE '1970-01-01' + fp::INT))
        - (day(a) < day(DATE '1970-01-01' + fp::INT))::INT) END AS tenure,
    CASE WHEN pd >= 2 THEN (lp - fp) / (pd - 1) ELSE ${q(nes.defaultCycleDays)} END AS cycle,
    ${q(asOfDay)} - lp AS recency
  FROM c, (SELECT DATE '${query.asOf}' AS a)
), f AS (
  SELECT
    CASE WHEN la IS NULL OR ${q(asOfDay)} - la > ${q(lc.declineInactiveDays)} THEN 'decline'
      WHEN tenure IS NULL THEN NULL
      WHEN tenure < ${q(lc.introMonths)} THEN 'intro'
      WHEN tenure < ${q(lc.growthMonths)} THEN 'growth' ELSE 'mature' END AS stage,
    CASE WHEN fp IS NULL OR lp IS NULL THEN NULL
      WHEN fp >= ${q(asOfDay - nes.newDays)} THEN 'new'
      WHEN (CASE WHEN cycle > 0 THEN recency / cycle WHEN recency > 0 THEN 'inf'::DOUBLE ELSE 0 END) <= ${q(m0)} THEN 'E0'
      WHEN (CASE WHEN cycle > 0 THEN recency / cycle WHEN recency > 0 THEN 'inf'::DOUBLE ELSE 0 END) <= ${q(m1)} THEN 'S1'
      WHEN (CASE WHEN cycle > 0 THEN recency / cycle WHEN recency > 0 THEN 'inf'::DOUBLE ELSE 0 END) <= ${q(m2)} THEN 'S2'
      ELSE 'S3' END AS nes,
    CASE WHEN lp IS NULL THEN NULL
      ELSE (${down('recency', t.recency)}) + (${up('pc', t.frequency)}) + (${up('m', t.monetary)}) END AS s,
    least(${q(Math.round(measure.upper * scale))}, greatest(${q(Math.round(measure.lower * scale))},
      round(least(${q(measure.upper)}, greatest(${q(measure.lower)}, m)) * ${q(scale)})))::BIGINT AS mfix
  FROM k
)
SELECT
  CASE WHEN stage IN (${cats(0)}) THEN stage ELSE '__other__' END AS a,
  CASE WHEN nes IN (${cats(1)}) THEN nes ELSE '__other__' END AS b,
  CASE ${bin} END AS r,
  count(*)::BIGINT AS n, sum(mfix)::BIGINT AS msum
FROM f GROUP BY ALL`;
}

async function timed<T>(
  fn: () => Promise<T>
): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const t = performance.now();
  const cpu = process.cpuUsage();
  const value = await fn();
  return { value, seconds: (performance.now() - t) / 1000, cpuSeconds: cpuSince(cpu) };
}

/** Reads `csvFile` (the bench's events layout) into DuckDB and runs each segmentation. */
export async function duckDbSegmentation(
  csvFile: string,
  queries: SegmentQuery[]
): Promise<DuckDbRun> {
  const instance = await DuckDBInstance.create(':memory:');
  const conn: DuckDBConnection = await instance.connect();
  try {
    await conn.run('SET threads = 1');
    const read = await timed(async () => {
      await conn.run(`CREATE TABLE ev AS SELECT * FROM read_csv('${csvFile.replaceAll("'", "''")}',
        header = true, columns = {'customer_id': 'VARCHAR', 'time': 'TIMESTAMP', 'type': 'VARCHAR',
        'amount': 'DOUBLE', 'channel': 'VARCHAR', 'category': 'VARCHAR'})`);
      const r = await conn.runAndReadAll('SELECT count(*)::BIGINT FROM ev');
      return Number(r.getRows()[0]?.[0]);
    });
    const segmentations: DuckDbRun['segmentations'] = [];
    for (const query of queries) {
      const sql = segmentationSql(query);
      const seg = await timed(async () => (await conn.runAndReadAll(sql)).getRows());
      const cells: DuckDbCells = new Map();
      for (const [a, b, r, n, msum] of seg.value)
        cells.set(`${String(a)}|${String(b)}|${String(r)}`, {
          count: Number(n),
          monetary: Number(msum),
        });
      segmentations.push({ seconds: seg.seconds, cpuSeconds: seg.cpuSeconds, cells });
    }
    return {
      readCsvSeconds: read.seconds,
      readCsvCpuSeconds: read.cpuSeconds,
      rows: read.value,
      segmentations,
    };
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}
