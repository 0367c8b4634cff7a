import type { CliIo } from './io.ts';
import type { ExitCode } from './exit-codes.ts';
import { toJson } from './output.ts';

/** Shared by every command of one `run()`: where to write and the exit code to return. */
export interface CliContext {
  io: CliIo;
  exitCode: ExitCode;
}

/** Writes either one JSON document (--json) or human text to stdout. */
export function emit(
  ctx: CliContext,
  json: boolean | undefined,
  value: unknown,
  human: () => string
): void {
  ctx.io.out(json === true ? toJson(value) : human());
}
