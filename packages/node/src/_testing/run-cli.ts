/** Internal test helper: runs the `fedmark` CLI in-process and captures what it prints. */
import type { CliIo } from '../cli/io.ts';
import { run } from '../cli/main.ts';

/** What one CLI run returned (exit code) and wrote to stdout and stderr. */
export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `fedmark <argv>` with stderr not a TTY (plain lines, no progress bars) and only `env`
 * as its environment, so a test never reads the developer's FEDMARK_* variables.
 * @example const r = await runCliWithEnv({ FEDMARK_TOKEN: t }, 'audit', 'verify', '--node-dir', dir);
 */
export async function runCliWithEnv(
  env: Record<string, string>,
  ...argv: string[]
): Promise<CliRun> {
  let out = '';
  let err = '';
  const io: CliIo = {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stderrIsTTY: false,
    env,
  };
  const code = await run(argv, io);
  return { code, out, err };
}

/** {@link runCliWithEnv} with an empty environment. */
export function runCli(...argv: string[]): Promise<CliRun> {
  return runCliWithEnv({}, ...argv);
}
