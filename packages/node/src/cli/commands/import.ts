import { InvalidArgumentError, type Command } from 'commander';
import { basename } from 'node:path';
import { ProtocolError, type Purpose } from '@fedmark/protocol';
import type { ImportReport } from '../../importing/index.ts';
import { emit, type CliContext } from '../context.ts';
import { lawfulBasisOption } from '../options.ts';
import { createProgress } from '../progress.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';
import { IMPORT_KINDS, type ImportKind } from '../../importing/formats.ts';
import { importFiles, type ImportFile } from './_import-files.ts';

type Kind = ImportKind;

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
  kind?: Kind;
  table?: string;
  idColumn?: string;
  lawfulBasis?: Record<string, string>;
  encoding?: 'utf-8' | 'latin1';
  json?: boolean;
}

function reportText(report: ImportReport): string {
  return [
    `Imported ${report.file} as ${report.kind}${report.table ? ` (table ${report.table})` : ''}: ${report.rowsRead} rows read, ${report.rowsInserted} inserted, ${report.rowsChanged} changed, ${report.rowsUnchanged} unchanged, ${report.rowsSkippedErased} skipped (erased customers)`,
    `  file sha256 ${report.fileHash} (recorded in the ledger)`,
    ...(report.lawfulBasis ?? []).map(
      (l) =>
        `  lawful basis ${l.basis} for ${l.purpose}: ${l.customers} customers (${l.newlyCovered} newly covered)`
    ),
    '',
  ].join('\n');
}

/** A failed file of several: which one, and which were imported before it and which were not. */
function withImportContext(
  err: unknown,
  failed: ImportFile,
  files: readonly ImportFile[],
  doneCount: number
): unknown {
  const names = (fs: readonly ImportFile[]) => fs.map((f) => f.path).join(', ') || 'none';
  const context = ` (imported before it: ${names(files.slice(0, doneCount))}; not imported: ${names(files.slice(doneCount))})`;
  // Most import errors name the file and line already; the others get its name in front.
  const named = (m: string) => (m.includes(basename(failed.path)) ? m : `${failed.path}: ${m}`);
  if (err instanceof ProtocolError)
    return new ProtocolError(err.code, `${named(err.message)}${context}`, err.cause);
  if (err instanceof Error) err.message = `${named(err.message)}${context}`;
  return err;
}

export function registerImport(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('import')
    .description(
      'import CSV files, each in one transaction: a bad row imports nothing of its file and is named (line, column, value, why); several files in one call import customers first and stop at the first bad file'
    )
    .argument(
      '<files...>',
      "CSV files with a header row (formats: docs/node-data.md); each file's kind from --kind, a customers:/events:/touches:/consents:/table:NAME: prefix, or a name such as events.csv"
    )
    .requiredOption('--dir <path>', 'node directory')
    .option(
      '--kind <kind>',
      `what the files hold: ${IMPORT_KINDS.join('|')} (default: from each file's prefix or name)`,
      kindOption
    )
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
    .action(async (specs: string[], o: ImportOpts) => {
      if (o.kind === 'table' && o.table === undefined)
        cmd.error('error: --kind table needs --table <name>');
      if (o.kind !== 'table' && o.table !== undefined)
        cmd.error(
          'error: --table applies to --kind table only (or name tables as table:NAME:file.csv)'
        );
      const files = importFiles(specs, o);
      if (o.idColumn !== undefined && !files.some((f) => f.kind === 'table'))
        cmd.error('error: --id-column applies to feature tables only');
      const { importCsv, LAWFUL_BASES } = await import('../../importing/index.ts');
      type Basis = (typeof LAWFUL_BASES)[number];
      const lawfulBasis = Object.entries(o.lawfulBasis ?? {}).map(([purpose, basis]) => {
        if (!(LAWFUL_BASES as readonly string[]).includes(basis))
          cmd.error(
            `error: --lawful-basis ${purpose}=${basis}: basis must be one of ${LAWFUL_BASES.join('|')}`
          );
        return { purpose: purpose as Purpose, basis: basis as Basis };
      });
      const reports = await withNode(o.dir, async ({ db, identity }) => {
        const done: ImportReport[] = [];
        for (const f of files) {
          try {
            done.push(await importOne(f));
          } catch (err) {
            throw files.length === 1 ? err : withImportContext(err, f, files, done.length);
          }
        }
        return done;

        function importOne(f: ImportFile): Promise<ImportReport> {
          let rows = 0;
          const progress = createProgress(ctx.io, `import ${f.kind}`, {
            unit: 'bytes',
            plain: (done, total) =>
              `${rows} rows${total ? ` (${Math.floor((100 * done) / total)}%)` : ''}`,
          });
          // With several files a lawful basis covers the customers of every file but the consents
          // log itself; a single file gets exactly what was asked (importCsv judges it).
          const covered = files.length === 1 || f.kind !== 'consents';
          const basis = covered && lawfulBasis.length > 0 ? { lawfulBasis } : {};
          return importCsv(db, identity, {
            kind: f.kind,
            file: f.path,
            ...(f.table === undefined ? {} : { table: f.table }),
            ...(f.kind === 'table' && o.idColumn !== undefined ? { idColumn: o.idColumn } : {}),
            ...basis,
            ...(o.encoding === undefined ? {} : { encoding: o.encoding }),
            onProgress: (r, bytes, total) => {
              rows = r;
              progress.update(bytes, total);
            },
          }).finally(() => progress.stop());
        }
      });
      const text = () => reports.map(reportText).join('');
      if (reports.length === 1) emit(ctx, o.json, reports[0], text);
      else emit(ctx, o.json, { imports: reports }, text);
    });
  examples(
    cmd,
    'fedmark node import --dir ./node-a ./data-a/customers.csv ./data-a/events.csv ./data-a/touches.csv ./data-a/consents.csv table:churn:./data-a/churn.csv',
    'fedmark node import --dir ./node-a --kind customers ./data-a/customers.csv',
    'fedmark node import --dir ./node-a --kind events ./data-a/events.csv --json',
    'fedmark node import --dir ./node-a --kind customers crm.csv --lawful-basis analytics=contract',
    'fedmark node import --dir ./node-a --kind customers --encoding latin1 legacy-export.csv',
    'fedmark node import --dir ./node-a --kind table --table churn_features --id-column cust features.csv'
  );
}
