import { InvalidArgumentError, type Command } from 'commander';
import type { Purpose } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { lawfulBasisOption } from '../options.ts';
import { createProgress } from '../progress.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

export const IMPORT_KINDS = ['customers', 'events', 'touches', 'consents', 'table'] as const;
type Kind = (typeof IMPORT_KINDS)[number];

const ENCODINGS = ['utf-8', 'latin1'] as const;

function encodingOption(value: string): (typeof ENCODINGS)[number] {
  const v = value.toLowerCase() === 'utf8' ? 'utf-8' : value.toLowerCase();
  if (!(ENCODINGS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`expected one of ${ENCODINGS.join('|')}, got "${value}"`);
  return v as (typeof ENCODINGS)[number];
}

function kindOption(value: string): Kind {
  if (!(IMPORT_KINDS as readonly string[]).includes(value))
    throw new InvalidArgumentError(`expected one of ${IMPORT_KINDS.join('|')}, got "${value}"`);
  return value as Kind;
}

export interface ImportOpts {
  dir: string;
  kind: Kind;
  table?: string;
  idColumn?: string;
  lawfulBasis?: Record<string, string>;
  encoding?: 'utf-8' | 'latin1';
  json?: boolean;
}

export function registerImport(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('import')
    .description(
      'import a CSV file in one transaction: a bad row imports nothing and is named (line, column, value, why)'
    )
    .argument('<file>', 'CSV file with a header row (formats: docs/node-data.md)')
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--kind <kind>', `what the file holds: ${IMPORT_KINDS.join('|')}`, kindOption)
    .option('--table <name>', 'feature table name (required with --kind table)')
    .option('--id-column <column>', 'customer id column of a feature table (default: customer_id)')
    .option(
      '--lawful-basis <purpose=basis>',
      'a lawful basis other than consent for every customer in the file, per purpose (repeatable): basis is contract|legitimate_interest|legal_obligation|consent; recorded in the ledger',
      lawfulBasisOption
    )
    .option(
      '--encoding <encoding>',
      'how the file is encoded: utf-8 (default; an invalid byte refuses the import, naming its offset) or latin1 (ISO 8859-1, converted)',
      encodingOption
    )
    .option('--json', 'print the import report as JSON')
    .action(async (file: string, o: ImportOpts) => {
      if (o.kind === 'table' && o.table === undefined)
        cmd.error('error: --kind table needs --table <name>');
      if (o.kind !== 'table' && (o.table !== undefined || o.idColumn !== undefined))
        cmd.error('error: --table and --id-column apply to --kind table only');
      const { importCsv, LAWFUL_BASES } = await import('../../importing/index.ts');
      type Basis = (typeof LAWFUL_BASES)[number];
      const lawfulBasis = Object.entries(o.lawfulBasis ?? {}).map(([purpose, basis]) => {
        if (!(LAWFUL_BASES as readonly string[]).includes(basis))
          cmd.error(
            `error: --lawful-basis ${purpose}=${basis}: basis must be one of ${LAWFUL_BASES.join('|')}`
          );
        return { purpose: purpose as Purpose, basis: basis as Basis };
      });
      let rows = 0;
      const progress = createProgress(ctx.io, `import ${o.kind}`, {
        unit: 'bytes',
        plain: (done, total) =>
          `${rows} rows${total ? ` (${Math.floor((100 * done) / total)}%)` : ''}`,
      });
      const report = await withNode(o.dir, ({ db, identity }) =>
        importCsv(db, identity, {
          kind: o.kind,
          file,
          ...(o.table === undefined ? {} : { table: o.table }),
          ...(o.idColumn === undefined ? {} : { idColumn: o.idColumn }),
          ...(lawfulBasis.length > 0 ? { lawfulBasis } : {}),
          ...(o.encoding === undefined ? {} : { encoding: o.encoding }),
          onProgress: (r, bytes, total) => {
            rows = r;
            progress.update(bytes, total);
          },
        }).finally(() => progress.stop())
      );
      emit(ctx, o.json, report, () =>
        [
          `Imported ${report.file} as ${report.kind}${report.table ? ` (table ${report.table})` : ''}: ${report.rowsRead} rows read, ${report.rowsInserted} inserted, ${report.rowsChanged} changed, ${report.rowsUnchanged} unchanged, ${report.rowsSkippedErased} skipped (erased customers)`,
          `  file sha256 ${report.fileHash} (recorded in the ledger)`,
          ...(report.lawfulBasis ?? []).map(
            (l) =>
              `  lawful basis ${l.basis} for ${l.purpose}: ${l.customers} customers (${l.newlyCovered} newly covered)`
          ),
          '',
        ].join('\n')
      );
    });
  examples(
    cmd,
    'fedmark node import --dir ./node-a --kind customers ./data-a/customers.csv',
    'fedmark node import --dir ./node-a --kind events ./data-a/events.csv --json',
    'fedmark node import --dir ./node-a --kind customers crm.csv --lawful-basis analytics=contract',
    'fedmark node import --dir ./node-a --kind customers --encoding latin1 legacy-export.csv',
    'fedmark node import --dir ./node-a --kind table --table churn_features --id-column cust features.csv'
  );
}
