import { Command, CommanderError } from 'commander';
import { ZodError } from 'zod';
import { isProtocolError } from '@fedmark/protocol';
import { registerCoordinatorCommands } from './coordinator-commands.ts';
import { EXIT, EXIT_CODES_HELP, exitCodeFor } from './exit-codes.ts';
import { processIo, type CliIo } from './io.ts';
import { registerJobCommands } from './job-commands.ts';
import { zodMessage } from '../zod-message.ts';

/**
 * Optional command modules (model) that other parts of the project add under this
 * package. Each exports `register(program: Command, io: CliIo): void`. Until one lands, its
 * command says plainly that it is not available in this build.
 */
const OPTIONAL_COMMANDS: Record<string, string> = {
  model: './model-commands.ts',
};

async function registerOptional(program: Command, io: CliIo, role: string): Promise<void> {
  const path = OPTIONAL_COMMANDS[role];
  if (!path) return;
  try {
    const mod = (await import(path)) as { register(program: Command, io: CliIo): void };
    mod.register(program, io);
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err;
    program
      .command(role)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw Object.assign(new Error(`"fedmark ${role}" is not available in this build`), { exitCode: EXIT.FAILURE });
      });
  }
}

export async function buildProgram(io: CliIo, role: string | undefined): Promise<Command> {
  const program = new Command('fedmark')
    .description('privacy-preserving federated analytics for precision marketing')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s), outputError: (s, write) => write(s) })
    .showHelpAfterError('(add --help for usage)');
  registerCoordinatorCommands(program, io);
  registerJobCommands(program, io);
  if (role) await registerOptional(program, io, role);
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
  const program = await buildProgram(io, argv[0]);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? EXIT.OK : EXIT.USAGE;
    }
    if (err instanceof ZodError) {
      io.err(`error: ${zodMessage(err)}\n`);
      return EXIT.INPUT_INVALID;
    }
    const code = (err as { exitCode?: number }).exitCode ?? exitCodeFor(err);
    const message = err instanceof Error ? err.message : String(err);
    io.err(`${isProtocolError(err) ? `error [${err.code}]` : 'error'}: ${message}\n`);
    if (io.env['FEDMARK_DEBUG'] === '1' && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return code;
  }
}
