import { Command, CommanderError } from 'commander';
import { isProtocolError } from '@fedmark/protocol';
import type { CliContext } from './context.ts';
import { EXIT, EXIT_CODES_HELP, exitCodeFor, isDatabaseBusy, type ExitCode } from './exit-codes.ts';
import { cliBusyTimeoutMs } from './node-context.ts';
import { processIo, type CliIo } from './io.ts';
import { registerNodeCommands } from './commands/node.ts';
import { registerAuditCommands } from './commands/audit.ts';

/** Builds a fresh command tree per run (commander keeps parse state on its objects). */
export function buildProgram(ctx: CliContext): Command {
  const program = new Command('fedmark')
    .description('privacy-preserving federated analytics for precision marketing')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .allowExcessArguments(false);
  registerNodeCommands(program, ctx);
  registerAuditCommands(program, ctx);
  program.addHelpText('after', EXIT_CODES_HELP);
  return program;
}

function commanderExit(err: CommanderError): ExitCode {
  if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.OK;
  return EXIT.USAGE;
}

/**
 * Entry point for `fedmark node ...` and `fedmark audit ...` (bin/fedmark.mjs routes here).
 * `argv` is everything after `fedmark`, e.g. ['node', 'init', '--dir', 'x']. Returns the exit code;
 * errors go to stderr as one line without a stack trace unless FEDMARK_DEBUG=1.
 *
 * @example
 * const code = await run(['node', 'ledger', 'verify', '--dir', './node-a', '--json']);
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const ctx: CliContext = { io, exitCode: EXIT.OK };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ctx.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return commanderExit(err);
    const code = exitCodeFor(err);
    const message = isDatabaseBusy(err)
      ? `the node database stayed locked by another process (an import or the running node) for the whole wait (${cliBusyTimeoutMs() / 1000} s); nothing was written: run the command again when it is done`
      : err instanceof Error
        ? err.message
        : String(err);
    const prefix = isProtocolError(err) ? `error [${err.code}]` : 'error';
    io.err(`fedmark: ${prefix}: ${message}\n`);
    if (io.env['FEDMARK_DEBUG'] === '1' && err instanceof Error && err.stack)
      io.err(`${err.stack}\n`);
    return code;
  }
}
