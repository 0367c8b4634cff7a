import type { Command } from 'commander';
import { type CliContext } from '../context.ts';
import { intOption, urlOption } from '../options.ts';
import { notAvailable } from '../exit-codes.ts';
import { examples } from './_help.ts';

export interface ServeOpts {
  dir: string;
  host: string;
  port: number;
  coordinator?: string;
  pollMs: number;
}

export function registerServe(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('serve')
    .description('serve the local admin/auditor HTTP API (loopback by default); with --coordinator also run the federation agent')
    .requiredOption('--dir <path>', 'node directory')
    .option('--host <host>', 'address to bind; keep loopback unless a reverse proxy with TLS fronts it', '127.0.0.1')
    .option('--port <port>', 'TCP port (0 = any free port)', intOption(0, 65535), 7800)
    .option('--coordinator <url>', 'coordinator base URL: poll it for tasks (outbound only)', urlOption)
    .option('--poll-ms <ms>', 'coordinator poll interval', intOption(100, 3_600_000), 1000)
    .action(async (o: ServeOpts) => {
      void ctx;
      void o;
      throw notAvailable('serve');
    });
  examples(cmd, 'fedmark node serve --dir ./node-a', 'fedmark node serve --dir ./node-a --port 7801 --coordinator http://127.0.0.1:7900');
}
