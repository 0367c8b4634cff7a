import type { JobEvent } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';

/** Appends a job event (call inside the transaction that makes the change it records). */
export function recordEvent(
  ctx: Ctx,
  jobId: string,
  type: JobEvent['type'],
  opts: { round?: number; node?: string; detail?: Record<string, unknown> } = {}
): void {
  ctx.store.jobs.appendEvent({
    jobId,
    at: ctx.iso(),
    type,
    round: opts.round ?? null,
    node: opts.node ?? null,
    detail: opts.detail ?? {},
  });
}
