import type { Command } from 'commander';
import type { Purpose } from '@fedmark/protocol';
import { type CliContext } from '../context.ts';
import { purposeOption } from '../options.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

interface ConsentOpts {
  dir: string;
  customer: string;
  purpose: Purpose;
  source: string;
  json?: boolean;
}

export function registerConsent(node: Command, ctx: CliContext): void {
  const consent = node.command('consent').description("grant or revoke one customer's consent for a purpose (recorded in the ledger)");
  for (const action of ['grant', 'revoke'] as const) {
    const cmd = consent
      .command(action)
      .description(`${action} consent for one purpose, effective now`)
      .requiredOption('--dir <path>', 'node directory')
      .requiredOption('--customer <id>', 'customer id as imported')
      .requiredOption('--purpose <purpose>', 'analytics | model_training | marketing', purposeOption)
      .option('--source <source>', 'where the decision came from (e.g. preference_center, call_centre)', 'cli')
      .option('--json', 'print the ledger entry as JSON')
      .action(async (o: ConsentOpts) => {
        void o;
        void ctx;
        throw notAvailable(`consent ${action}`);
      });
    examples(cmd, `fedmark node consent ${action} --dir ./node-a --customer C-1001 --purpose marketing --source preference_center`);
  }
}
