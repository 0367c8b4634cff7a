/** Where the CLI writes; tests capture it. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (live redraws instead of line logs). */
  isTty: boolean;
  env: Record<string, string | undefined>;
}

export function processIo(): CliIo {
  return {
    out: (t) => void process.stdout.write(t),
    err: (t) => void process.stderr.write(t),
    isTty: Boolean(process.stdout.isTTY),
    env: process.env,
  };
}
