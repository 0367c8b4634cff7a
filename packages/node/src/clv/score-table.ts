import type Database from 'better-sqlite3';
import {
  ProtocolError,
  canonicalHash,
  customerValue,
  type Canonical,
  type ClvHorizon,
  type ClvModel,
  type CustomerValue,
} from '@fedmark/protocol';
import {
  featureTableColumns,
  featureTableIdColumn,
  physicalColumnName,
  physicalTableName,
} from '../store/feature-tables.ts';
import { appendLedgerEntry } from '../ledger/append.ts';
import { asOfToMs } from '../store/unit-source.ts';
import { DAY_MS, dayOfIso } from '../analytics/_days.ts';
import { csvCell, writeLinesAtomically } from '../decide/decisions-file.ts';
import { openClvSummaries } from '../warehouse/index.ts';
import { scoreSummaries, type ClvSummary } from './score-summaries.ts';

/**
 * Per-customer CLV at the node (docs/clv.md "Per-customer"): every customer's expected
 * purchases, P(alive), expected spend and CLV from a CLV model file's (joint) parameters, kept
 * as the feature table `clv` (the storage imported feature tables use), so segment queries bin
 * on `table.clv.clv` (CLV tiers) and decision policies read it (`clv.field`). The figures never
 * leave the node by themselves; a segment query releases them only as noisy aggregates.
 */

export const CLV_TABLE = 'clv';
export const CLV_ID_COLUMN = 'customer_id';
export const CLV_COLUMNS = ['expected_purchases', 'p_alive', 'expected_spend', 'clv'] as const;

export interface ClvScoreOptions {
  /**
   * Reference date YYYY-MM-DD: purchases strictly before its 00:00 UTC count, as for every node
   * query, and T runs to the day before. Default: the model's calibrationEnd, whose own day
   * counts (the last day of the calibration period).
   */
  asOf?: string;
  /** Months of the horizon (default 12). */
  months?: number;
  /** Discount rate a month (default 0.01). */
  discount?: number;
}

export interface ClvQuantiles {
  min: number;
  p10: number;
  p25: number;
  p50: number;
  p75: number;
  p90: number;
  max: number;
}

export interface ClvScoreResult {
  /** Customers scored (those with a purchase up to the cut-off day). */
  scored: number;
  /** Last day counted (YYYY-MM-DD). */
  lastDay: string;
  horizon: ClvHorizon;
  /** Quantiles over the scored customers (null when none is scored). */
  quantiles: { clv: ClvQuantiles; pAlive: ClvQuantiles } | null;
}

/**
 * A month in the model's unit: 364/12 days, so 52/12 in weeks as lifetimes' default horizon
 * (protocol clv-value.ts DEFAULT_CLV_HORIZON).
 */
export function clvHorizon(daysPerUnit: number, months = 12, discount = 0.01): ClvHorizon {
  if (!Number.isInteger(months) || months < 1 || months > 1200)
    throw new ProtocolError('BAD_REQUEST', `months must be an integer 1-1200, got ${months}`);
  if (!Number.isFinite(discount) || discount < 0 || discount >= 1)
    throw new ProtocolError('BAD_REQUEST', `discount must be in [0, 1), got ${discount}`);
  return { periodLength: 364 / 12 / daysPerUnit, periods: months, discountRate: discount };
}

/** The sample quantile at q by linear interpolation (as numpy's default), of sorted values. */
function quantile(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const a = sorted[lo] as number;
  const b = sorted[Math.min(lo + 1, sorted.length - 1)] as number;
  return a + (h - lo) * (b - a);
}

function quantiles(values: Float64Array): ClvQuantiles {
  const s = values.slice().sort();
  return {
    min: s[0] as number,
    p10: quantile(s, 0.1),
    p25: quantile(s, 0.25),
    p50: quantile(s, 0.5),
    p75: quantile(s, 0.75),
    p90: quantile(s, 0.9),
    max: s[s.length - 1] as number,
  };
}

/** NaN or infinity (parameters far outside any fit) is stored as a missing value. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

/**
 * Scores every stored customer with a purchase up to the cut-off day and replaces the feature
 * table `clv` with the result in one transaction: a failure leaves the previous table as it was.
 * Refuses to replace an imported table named `clv` whose columns are not the CLV ones.
 */
export function writeClvScores(
  db: Database.Database,
  model: ClvModel,
  opts: ClvScoreOptions = {}
): ClvScoreResult {
  const horizon = clvHorizon(model.daysPerUnit, opts.months, opts.discount);
  const lastDay = lastDayOf(model, opts);
  const phys = physicalTableName(CLV_TABLE);
  const cols = CLV_COLUMNS.map(physicalColumnName);
  const seen = { pAlive: [] as number[], clv: [] as number[] };
  const scored = db.transaction(() => {
    const idColumn = featureTableIdColumn(db, CLV_TABLE);
    if (idColumn !== undefined) {
      const names = featureTableColumns(db, CLV_TABLE).map((c) => c.name);
      if (idColumn !== CLV_ID_COLUMN || names.join(',') !== CLV_COLUMNS.join(','))
        throw new ProtocolError(
          'CONFLICT',
          `feature table "${CLV_TABLE}" holds imported columns (${names.join(', ')}), not CLV scores: it is not replaced`
        );
      db.exec(`DELETE FROM "${phys}"`);
    } else {
      db.prepare('INSERT INTO feature_tables (name, id_column) VALUES (?, ?)').run(
        CLV_TABLE,
        CLV_ID_COLUMN
      );
      const col = db.prepare(
        "INSERT INTO feature_columns (table_name, position, name, type) VALUES (?, ?, ?, 'real')"
      );
      CLV_COLUMNS.forEach((name, i) => {
        col.run(CLV_TABLE, i, name);
      });
      db.exec(
        `CREATE TABLE "${phys}" (customer INTEGER PRIMARY KEY REFERENCES customers(id), seen_in INTEGER NOT NULL, ${cols.map((c) => `"${c}"`).join(', ')})`
      );
    }
    const insert = db.prepare(
      `INSERT INTO "${phys}" (customer, seen_in, ${cols.map((c) => `"${c}"`).join(', ')}) VALUES (?, 0, ?, ?, ?, ?)`
    );
    const summaries = scoreSummaries(db, lastDay, model.daysPerUnit);
    for (const s of summaries) {
      const v = scoredValue(model, s, horizon, seen);
      insert.run(
        s.customer,
        finite(v.expectedPurchases),
        finite(v.pAlive),
        finite(v.expectedSpend),
        finite(v.clv)
      );
    }
    // Recorded like a feature-table import (docs/node-data.md "Importing"), in the same
    // transaction: the ledger says when the table was replaced, from which model and how many
    // rows it holds. `fileHash` is the model's canonical hash, since no file is read.
    appendLedgerEntry(db, {
      type: 'import',
      body: {
        kind: 'table',
        table: CLV_TABLE,
        derivedBy: 'clv-score',
        file: `CLV model "${model.name.slice(0, 100)}"`,
        fileHash: canonicalHash('clv-model', model as unknown as Canonical),
        rowsRead: summaries.length,
        rowsInserted: summaries.length,
        rowsChanged: 0,
        rowsUnchanged: 0,
        rowsSkippedErased: 0,
        lastDay: new Date(lastDay * DAY_MS).toISOString().slice(0, 10),
        months: horizon.periods,
      },
    });
    return summaries.length;
  })();
  return scoreResult(scored, lastDay, horizon, seen);
}

/** One customer's values; the finite CLV and P(alive) are kept for the quantiles. */
function scoredValue(
  model: ClvModel,
  s: ClvSummary,
  horizon: ClvHorizon,
  seen: { pAlive: number[]; clv: number[] }
): CustomerValue {
  const v = customerValue(model.bgnbd, model.gammaGamma, s, horizon);
  if (Number.isFinite(v.clv)) seen.clv.push(v.clv);
  if (Number.isFinite(v.pAlive)) seen.pAlive.push(v.pAlive);
  return v;
}

function scoreResult(
  scored: number,
  lastDay: number,
  horizon: ClvHorizon,
  seen: { pAlive: number[]; clv: number[] }
): ClvScoreResult {
  return {
    scored,
    lastDay: new Date(lastDay * DAY_MS).toISOString().slice(0, 10),
    horizon,
    quantiles:
      seen.clv.length > 0 && seen.pAlive.length > 0
        ? {
            clv: quantiles(Float64Array.from(seen.clv)),
            pAlive: quantiles(Float64Array.from(seen.pAlive)),
          }
        : null,
  };
}

/** The last day a run counts: the day before `asOf`, or the model's calibrationEnd. */
function lastDayOf(model: ClvModel, opts: ClvScoreOptions): number {
  return opts.asOf !== undefined
    ? asOfToMs(opts.asOf) / DAY_MS - 1
    : dayOfIso(model.calibrationEnd);
}

/**
 * The same scores as writeClvScores, written to a CSV file instead of the node's table
 * (`customer_id` then CLV_COLUMNS; a missing value is an empty cell), all-or-nothing. This is the
 * way on a node that reads a warehouse (docs/warehouse.md), whose feature tables come from the
 * mapping: the institution loads the file into its warehouse and maps it as the table `clv`.
 * Nothing is recorded in the ledger: the file is the node's own output, as a decisions file is.
 */
export async function writeClvScoresCsv(
  db: Database.Database,
  model: ClvModel,
  out: string,
  opts: ClvScoreOptions = {}
): Promise<ClvScoreResult & { out: string }> {
  const horizon = clvHorizon(model.daysPerUnit, opts.months, opts.discount);
  const lastDay = lastDayOf(model, opts);
  const seen = { pAlive: [] as number[], clv: [] as number[] };
  const summaries = openClvSummaries(db, {
    endDay: lastDay,
    daysPerUnit: model.daysPerUnit,
    consent: null,
  });
  const cell = (x: number): string => (Number.isFinite(x) ? String(x) : '');
  await writeLinesAtomically(out, [
    `${CLV_ID_COLUMN},${CLV_COLUMNS.join(',')}\n`,
    ...summaries.map((s) => {
      const v = scoredValue(model, s, horizon, seen);
      return `${csvCell(s.customerId)},${[v.expectedPurchases, v.pAlive, v.expectedSpend, v.clv].map(cell).join(',')}\n`;
    }),
  ]);
  return { ...scoreResult(summaries.length, lastDay, horizon, seen), out };
}
