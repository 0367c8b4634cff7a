import type { Command } from 'commander';
import type { CliContext } from '../context.ts';
import { EXIT_CODES_HELP } from '../exit-codes.ts';
import { verifyCommand } from './ledger.ts';
import { examples } from './_help.ts';

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description("verify a node's ledger (compliance auditors)");
  audit.addHelpText('after', EXIT_CODES_HELP);
  const verify = audit
    .command('verify')
    .description("recompute a node's ledger hash chain (Merkle checkpoints against the coordinator come later)")
    .requiredOption('--node-dir <path>', 'the node directory to audit')
    .option('--json', 'print the verification result as JSON')
    .action((o: { nodeDir: string; json?: boolean }) => verifyCommand(ctx, o.nodeDir, o.json));
  examples(verify, 'fedmark audit verify --node-dir ./node-a --json');
}
