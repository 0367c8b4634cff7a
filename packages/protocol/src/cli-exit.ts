import { isProtocolError, type ErrorCode } from './errors.ts';

/**
 * Shared CLI exit-code machinery. Each role's CLI keeps its own table of codes in its own range
 * (as Flower's exit_code.py does): 0-9 generic, 10-19 node, 20-29 coordinator and jobs. The
 * ranges are disjoint so a script can tell which side failed from the code alone.
 */
export type ExitTable = Readonly<Record<string, number>>;

/** An error the CLI reports as-is with its exit code (no stack, no code prefix). */
export class CliError extends Error {
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.name = 'CliError';
    this.exitCode = exitCode;
  }
}

/** The "Exit codes:" block appended to every --help of a role. */
export function exitCodesHelp<T extends ExitTable>(
  table: T,
  descriptions: Record<keyof T, string>
): string {
  const lines = (Object.keys(table) as (keyof T & string)[]).map(
    (k) => `  ${String(table[k]).padStart(2)}  ${descriptions[k]}`
  );
  return `\nExit codes:\n${lines.join('\n')}\n`;
}

/** The exit code for anything thrown: CliError as given, ProtocolError by its code, else `failure`. */
export function exitCodeFor(
  err: unknown,
  byErrorCode: Partial<Record<ErrorCode, number>>,
  failure = 1
): number {
  if (err instanceof CliError) return err.exitCode;
  if (isProtocolError(err)) return byErrorCode[err.code] ?? failure;
  return failure;
}
