import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { isProtocolError } from '@fedmark/protocol';
import { registerCoordinatorCommands } from './coordinator-commands.ts';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts';
import { processIo, type CliIo } from './io.ts';
import { registerJobCommands } from './job-commands.ts';
import { register as registerModelCommands } from './model-commands.ts';
import { zodMessage } from '../zod-message.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('fedmark')
    .description('privacy-preserving federated analytics for precision marketing')
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.out(s),
      writeErr: (s) => io.err(s),
      outputError: (s, write) => write(s),
    })
    .showHelpAfterError('(add --help for usage)');
  registerCoordinatorCommands(program, io);
  registerJobCommands(program, io);
  registerModelCommands(program, io);
  program.addHelpText('after', EXIT_CODES_HELP);
  return program;
}

/**
 * Entry point for `fedmark coordinator|job|model|simulate ...` (bin/fedmark.mjs routes here).
 * `argv` is everything after `fedmark`, e.g. ['job', 'create', '--spec', 'job.json']. Returns
 * the exit code; errors go to stderr as one line (stack only with FEDMARK_DEBUG=1).
 *
 * @example
 * const code = await run(['job', 'template', 'rfm']);
 */
export async function run(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
        ? EXIT.OK
        : EXIT.USAGE;
    }
    if (err instanceof ZodError) {
      io.err(`error: ${zodMessage(err)}\n`);
      return EXIT.INPUT_INVALID;
    }
    const code = (err as { exitCode?: number }).exitCode ?? exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    io.err(`${isProtocolError(err) ? `error [${err.code}]` : 'error'}: ${message}\n`);
    if (io.env['FEDMARK_DEBUG'] === '1' && err instanceof Error && err.stack)
      io.err(`${err.stack}\n`);
    return code;
  }
}
