import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

interface EraseOpts {
  dir: string;
  customer?: string;
  file?: string;
  reason?: string;
  json?: boolean;
}

export function registerErase(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('erase')
    .description(
      'right to erasure: delete every raw row about a customer (unrecoverable); the ledger keeps a pseudonymous tombstone'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--customer <id>', 'one customer id')
    .option(
      '--file <path>',
      'batch form: a CSV file with a customer_id column (one transaction; a bad line erases nothing)'
    )
    .option(
      '--reason <text>',
      'short non-personal reason recorded in the ledger (default: erasure_request)'
    )
    .option('--json', 'print the erasure report as JSON')
    .action(async (o: EraseOpts) => {
      if ((o.customer === undefined) === (o.file === undefined))
        cmd.error('error: give exactly one of --customer <id> or --file <path>');
      const { eraseCustomer, eraseCustomersFromFile } = await import('../../erasure/index.ts');
      const opts = o.reason === undefined ? {} : { reason: o.reason };
      const r = await withNode(o.dir, async ({ db, identity }) => {
        if (o.customer !== undefined) {
          const one = eraseCustomer(db, identity, o.customer, opts);
          return { customers: 1, rowsDeleted: one.rowsDeleted, results: [one] };
        }
        return eraseCustomersFromFile(db, identity, o.file as string, opts);
      });
      emit(
        ctx,
        o.json,
        r,
        () =>
          `Erased ${r.customers} customer(s): ${r.rowsDeleted} rows deleted and overwritten; the ledger keeps only pseudonymous tombstones (${r.results
            .slice(0, 3)
            .map((x) => `${x.pseudonym.slice(0, 12)}…`)
            .join(', ')}${r.results.length > 3 ? ', …' : ''}).\n`
      );
    });
  examples(
    cmd,
    'fedmark node erase --dir ./node-a --customer C-1001 --reason gdpr_art17_request',
    'fedmark node erase --dir ./node-a --file erasures.csv   # header: customer_id'
  );
}
