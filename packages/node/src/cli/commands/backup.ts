import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { openNode } from '../node-context.ts';
import { examples } from './_help.ts';

/** `fedmark node backup`: a consistent copy of the node directory (docs/operations.md "Backups"). */
export function registerBackup(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('backup')
    .description(
      'copy the node directory consistently, also while the node runs: the database through SQLite online backup (checked), keys, policy and tokens owner-only; restore by using the copy as --dir'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--to <path>', 'new directory for the copy (must not exist or be empty)')
    .option('--json', 'print {to, files} as JSON')
    .action(async (o: { dir: string; to: string; json?: boolean }) => {
      (await openNode(o.dir)).close(); // a clear error when --dir holds no node
      const { backupNodeDirectory } = await import('../../store/backup.ts');
      let files: string[];
      try {
        files = await backupNodeDirectory(o.dir, o.to);
      } catch (err) {
        throw new CliError(
          EXIT.INPUT_INVALID,
          `backup to ${o.to} failed, nothing was written: ${err instanceof Error ? err.message : String(err)}`
        );
      }
      emit(
        ctx,
        o.json,
        { to: o.to, files },
        () =>
          `backed up ${o.dir} to ${o.to}: ${files.join(', ')}\nIt holds the node's secret keys: store it as carefully as the node.\n`
      );
    });
  examples(cmd, 'fedmark node backup --dir ./node-a --to /backups/node-a-2026-12-01');
}
