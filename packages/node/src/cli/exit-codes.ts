import {
  DamagedDatabaseError,
  exitCodeFor as sharedExitCodeFor,
  exitCodesHelp,
  type ErrorCode,
} from '@fedmark/protocol';

/** An error the CLI reports as-is with its exit code (one shared class; codes from this table). */
export { CliError } from '@fedmark/protocol';

/**
 * Exit codes of `fedmark node ...` and `fedmark audit ...`, in ranges (as Flower's exit_code.py):
 * 0-9 generic, 10-19 node data errors. Scripts may rely on them; the help shows this table.
 */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  IMPORT_INVALID: 10,
  BUDGET_EXCEEDED: 11,
  POLICY_REFUSED: 12,
  LEDGER_INVALID: 13,
  INPUT_INVALID: 14,
  NO_NODE: 15,
  CONFLICT: 16,
  NOT_FOUND: 17,
  DATABASE_DAMAGED: 18,
  DATABASE_BUSY: 19,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const DESCRIPTIONS: Record<keyof typeof EXIT, string> = {
  OK: 'success',
  FAILURE: 'failure (I/O, unexpected error, feature not available yet)',
  USAGE: 'bad usage: unknown command or option, missing or malformed argument',
  IMPORT_INVALID:
    'import refused: a row is invalid (file, line, column and reason on stderr); nothing was written',
  BUDGET_EXCEEDED: 'privacy budget exceeded: the release was refused (remaining budget on stderr)',
  POLICY_REFUSED: "the node's policy refused the request",
  LEDGER_INVALID: 'ledger verification failed (first bad entry on stderr / in --json)',
  INPUT_INVALID: 'an input file or value (query, policy, JSON) failed validation',
  NO_NODE: 'no node at --dir (run "fedmark node init" first)',
  CONFLICT: 'already exists (e.g. init over an existing node)',
  NOT_FOUND: 'not found (e.g. an unknown customer)',
  DATABASE_DAMAGED:
    'node.db is empty, not SQLite or damaged (file named on stderr): restore the node directory from a backup',
  DATABASE_BUSY:
    'node.db stayed locked by another process (a long import, the running node) past the wait (30 s, FEDMARK_BUSY_TIMEOUT_MS); nothing was written: run the command again',
};

/** SQLite's SQLITE_BUSY after the busy timeout: another process held the write lock throughout. */
export function isDatabaseBusy(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'SQLITE_BUSY';
}

export const EXIT_CODES_HELP = exitCodesHelp(EXIT, DESCRIPTIONS);

const BY_ERROR_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  IMPORT_INVALID: EXIT.IMPORT_INVALID,
  BUDGET_EXCEEDED: EXIT.BUDGET_EXCEEDED,
  POLICY_REFUSED: EXIT.POLICY_REFUSED,
  BAD_REQUEST: EXIT.INPUT_INVALID,
  LAYOUT_MISMATCH: EXIT.INPUT_INVALID,
  CONFLICT: EXIT.CONFLICT,
  NOT_FOUND: EXIT.NOT_FOUND,
};

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof DamagedDatabaseError) return EXIT.DATABASE_DAMAGED;
  if (isDatabaseBusy(err)) return EXIT.DATABASE_BUSY;
  return sharedExitCodeFor(err, BY_ERROR_CODE, EXIT.FAILURE) as ExitCode;
}
