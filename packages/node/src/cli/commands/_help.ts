import type { Command } from 'commander';

/** Adds an "Examples" block to a command's --help: every command teaches by example. */
export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText(
    'after',
    `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`
  );
}
