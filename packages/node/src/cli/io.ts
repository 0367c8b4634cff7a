/**
 * Where the CLI writes. `run()` takes one so tests can capture output in-process; the default
 * writes to the real stdout/stderr. `signal` ends long-running commands (serve) without a process
 * signal, which tests use.
 */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is an interactive terminal (progress bars) or a pipe/file (plain lines). */
  stderrIsTTY: boolean;
  env: Record<string, string | undefined>;
  signal?: AbortSignal;
}

export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}
