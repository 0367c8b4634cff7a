import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { notAvailable } from '../exit-codes.ts';
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
    .description('right to erasure: delete every raw row about a customer (unrecoverable); the ledger keeps a pseudonymous tombstone')
    .requiredOption('--dir <path>', 'node directory')
    .option('--customer <id>', 'one customer id')
    .option('--file <path>', 'a file of customer ids, one per line (batch form)')
    .option('--reason <text>', 'reason recorded with the erasure (no personal data)', 'data subject request')
    .option('--json', 'print the erasure report as JSON')
    .action(async (o: EraseOpts) => {
      if ((o.customer === undefined) === (o.file === undefined)) cmd.error('error: give exactly one of --customer <id> or --file <path>');
      void ctx;
      throw notAvailable('erasure');
    });
  examples(cmd, 'fedmark node erase --dir ./node-a --customer C-1001 --reason "art. 17 request"', 'fedmark node erase --dir ./node-a --file erasures.txt');
}
