import { type Command, InvalidArgumentError } from 'commander';
import { ClvModelSchema } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { dateOption, intOption } from '../options.ts';
import type { ClvQuantiles, ClvScoreResult } from '../../clv/score-table.ts';
import { examples } from './_help.ts';
import { parseFileValue, readJsonFile } from './_query-file.ts';

interface ClvScoreOpts {
  dir: string;
  model: string;
  asOf?: string;
  months: number;
  discount: number;
  out?: string;
  json?: boolean;
}

function discountOption(value: string): number {
  const n = Number(value);
  if (!/^\d*\.?\d+$/.test(value) || !(n >= 0 && n < 1))
    throw new InvalidArgumentError(`expected a rate a month from 0 to below 1, got "${value}"`);
  return n;
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(1) : x.toPrecision(4));

function quantileLine(name: string, q: ClvQuantiles): string {
  return `  ${name.padEnd(8)} min ${fmt(q.min)}  p10 ${fmt(q.p10)}  p25 ${fmt(q.p25)}  median ${fmt(q.p50)}  p75 ${fmt(q.p75)}  p90 ${fmt(q.p90)}  max ${fmt(q.max)}`;
}

export function clvScoreText(r: ClvScoreResult & { model: string; out?: string }): string {
  const into = r.out === undefined ? 'feature table clv' : r.out;
  const lines = [
    `scored ${r.scored} customers into ${into} (model "${r.model}", purchases to ${r.lastDay}, ${r.horizon.periods} months at ${r.horizon.discountRate} a month)`,
  ];
  if (r.quantiles) {
    lines.push(quantileLine('clv', r.quantiles.clv), quantileLine('p_alive', r.quantiles.pAlive));
  }
  lines.push(
    r.out === undefined
      ? '  segment on table.clv.clv (docs/clv.md "Per-customer")'
      : '  load it into your warehouse and map it as the feature table clv to segment on table.clv.clv (docs/warehouse.md)',
    ''
  );
  return lines.join('\n');
}

/** `fedmark node clv-score`: per-customer CLV from a CLV model file, kept as the table clv. */
export function registerClvScore(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('clv-score')
    .description(
      'per-customer expected purchases, P(alive), expected spend and CLV from a CLV model file (docs/clv.md "Per-customer"), stored as the feature table clv for segment queries (table.clv.clv) and decisions; nothing leaves the node'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--model <file>', 'CLV model file (docs/examples/clv-model.json)')
    .option(
      '--as-of <date>',
      "count purchases before this date (YYYY-MM-DD, default: the day after the model's calibrationEnd)",
      dateOption
    )
    .option('--months <n>', 'CLV horizon in months', intOption(1, 1200), 12)
    .option('--discount <rate>', 'discount rate a month', discountOption, 0.01)
    .option(
      '--out <csv>',
      'write the scores to this CSV (customer_id, expected_purchases, p_alive, expected_spend, clv) instead of the feature table; required on a node that reads a warehouse'
    )
    .option('--json', 'print JSON')
    .action(async (o: ClvScoreOpts) => {
      const model = parseFileValue(o.model, ClvModelSchema, readJsonFile(o.model));
      if (o.out !== undefined && !o.out.toLowerCase().endsWith('.csv'))
        throw new CliError(EXIT.USAGE, '--out: expected a .csv file');
      const { loadWarehouseMapping } = await import('../../warehouse/index.ts');
      if (o.out === undefined && loadWarehouseMapping(o.dir) !== null)
        throw new CliError(
          EXIT.CONFLICT,
          `${o.dir} reads a warehouse (docs/warehouse.md), whose feature tables come from the mapping: give --out clv.csv, load the file into the warehouse and map it as the feature table clv`
        );
      const { writeClvScores, writeClvScoresCsv } = await import('../../clv/score-table.ts');
      const opts = {
        ...(o.asOf !== undefined ? { asOf: o.asOf } : {}),
        months: o.months,
        discount: o.discount,
      };
      await withNode(o.dir, async ({ db }) => {
        const r =
          o.out === undefined
            ? { model: model.name, ...writeClvScores(db, model, opts) }
            : { model: model.name, ...(await writeClvScoresCsv(db, model, o.out, opts)) };
        emit(ctx, o.json, r, () => clvScoreText(r));
      });
    });
  examples(
    cmd,
    'fedmark node clv-score --dir ./node-a --model docs/examples/clv-model.json',
    'fedmark node clv-score --dir ./node-a --model clv-model.json --as-of 2026-01-01 --months 24 --json',
    'fedmark node clv-score --dir ./node-w --model clv-model.json --out clv.csv   # a warehouse node'
  );
}
