import { exitCodeFor as sharedExitCodeFor, exitCodesHelp, type ErrorCode } from '@fedmark/protocol';

/** An error the CLI reports as-is with its exit code (one shared class; codes from this table). */
export { CliError } from '@fedmark/protocol';

/**
 * Exit codes of `fedmark coordinator|job ...`, in ranges (as Flower's exit_code.py): 0-9
 * generic (same meaning as the node CLI), 20-29 coordinator and job errors.
 */
export const EXIT = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  JOB_FAILED: 20,
  UNREACHABLE: 21,
  UNAUTHORIZED: 22,
  INPUT_INVALID: 23,
  NO_COORDINATOR: 24,
  CONFLICT: 25,
  NOT_FOUND: 26,
  DATABASE_DAMAGED: 27,
} as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

const DESCRIPTIONS: Record<keyof typeof EXIT, string> = {
  OK: 'success',
  FAILURE: 'failure (I/O, unexpected error, feature not available in this build)',
  USAGE: 'bad usage: unknown command or option, missing or malformed argument',
  JOB_FAILED: 'the job failed (reason on stderr), e.g. QUORUM_NOT_MET',
  UNREACHABLE: 'the coordinator could not be reached at --coordinator',
  UNAUTHORIZED: 'the coordinator refused the operator token',
  INPUT_INVALID: 'a job spec or value failed validation (field and reason on stderr)',
  NO_COORDINATOR: 'no coordinator at --dir (run "fedmark coordinator init" first)',
  CONFLICT: 'already exists or not possible in the current state (e.g. no active key epoch)',
  NOT_FOUND: 'not found (e.g. an unknown job id)',
  DATABASE_DAMAGED:
    'a database in --dir is empty, not SQLite or damaged (file named on stderr): restore from a backup',
};

export const EXIT_CODES_HELP = exitCodesHelp(EXIT, DESCRIPTIONS);

const BY_ERROR_CODE: Partial<Record<ErrorCode, ExitCode>> = {
  BAD_REQUEST: EXIT.INPUT_INVALID,
  UNAUTHORIZED: EXIT.UNAUTHORIZED,
  CONFLICT: EXIT.CONFLICT,
  KEY_EPOCH_PENDING: EXIT.CONFLICT,
  NOT_FOUND: EXIT.NOT_FOUND,
  QUORUM_NOT_MET: EXIT.JOB_FAILED,
};

export function exitCodeFor(err: unknown): ExitCode {
  return sharedExitCodeFor(err, BY_ERROR_CODE, EXIT.FAILURE) as ExitCode;
}
