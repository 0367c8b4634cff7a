import { InvalidArgumentError, type Command } from 'commander';
import { type CliContext } from '../context.ts';
import { lawfulBasisOption } from '../options.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export const IMPORT_KINDS = ['customers', 'events', 'touches', 'consents', 'table'] as const;
type Kind = (typeof IMPORT_KINDS)[number];

function kindOption(value: string): Kind {
  if (!(IMPORT_KINDS as readonly string[]).includes(value)) throw new InvalidArgumentError(`expected one of ${IMPORT_KINDS.join('|')}, got "${value}"`);
  return value as Kind;
}

export interface ImportOpts {
  dir: string;
  kind: Kind;
  table?: string;
  idColumn?: string;
  lawfulBasis?: Record<string, string>;
  json?: boolean;
}

export function registerImport(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('import')
    .description('import a CSV file in one transaction: a bad row imports nothing and is named (line, column, value, why)')
    .argument('<file>', 'CSV file with a header row (formats: docs/node-data.md)')
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--kind <kind>', `what the file holds: ${IMPORT_KINDS.join('|')}`, kindOption)
    .option('--table <name>', 'feature table name (required with --kind table)')
    .option('--id-column <column>', 'customer id column of a feature table', 'customer_id')
    .option(
      '--lawful-basis <purpose=basis>',
      'declare a lawful basis other than consent for the imported customers, per purpose (repeatable), e.g. analytics=contract; recorded in the ledger',
      lawfulBasisOption
    )
    .option('--json', 'print the import report as JSON')
    .action(async (file: string, o: ImportOpts) => {
      if (o.kind === 'table' && o.table === undefined) cmd.error('error: --kind table needs --table <name>');
      void file;
      throw notAvailable('CSV import');
    });
  examples(
    cmd,
    'fedmark node import --dir ./node-a --kind customers ./data-a/customers.csv',
    'fedmark node import --dir ./node-a --kind events ./data-a/events.csv --json',
    'fedmark node import --dir ./node-a --kind customers crm.csv --lawful-basis analytics=contract',
    'fedmark node import --dir ./node-a --kind table --table churn_features --id-column cust features.csv'
  );
  void ctx;
}
