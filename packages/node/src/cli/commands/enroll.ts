import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { urlOption } from '../options.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export function registerEnroll(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('enroll')
    .description("join a federation: send this node's public keys to the coordinator with a one-time enrollment token")
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--coordinator <url>', 'coordinator base URL', urlOption)
    .requiredOption('--token <token>', 'one-time enrollment token from the coordinator operator')
    .option('--json', 'print the enrollment result as JSON')
    .action(async () => {
      void ctx;
      throw notAvailable('federation enrollment');
    });
  examples(cmd, 'fedmark node enroll --dir ./node-a --coordinator https://coord.example:7900 --token 3f9c…');
}
