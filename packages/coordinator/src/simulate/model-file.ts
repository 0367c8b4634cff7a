import type { JobResult } from '@fedmark/protocol';

/**
 * What `simulate --model-out` does with a train job's result: a published job's model is written
 * as it is; a failed job's last model stopped short of its plan (and its recorded epsilon is the
 * plan's), so it is written only with `--partial`, marked `"partial": true`, and otherwise not
 * at all, with a message saying so.
 */
export type ModelFileAction =
  | { kind: 'none' }
  | { kind: 'write' }
  | { kind: 'partial'; file: string; content: Record<string, unknown>; message: string }
  | { kind: 'skip'; message: string };

export function modelFileAction(
  result: JobResult,
  o: { file: string | undefined; partial: boolean }
): ModelFileAction {
  if (!result.model) return { kind: 'none' };
  if (result.status === 'published') return { kind: 'write' };
  const t = result.model.training;
  const what = `${result.name}: training ${result.status} after ${t.roundsDone} of ${t.roundsPlanned} rounds`;
  if (o.file && o.partial)
    return {
      kind: 'partial',
      file: o.file,
      content: { partial: true, ...result.model },
      message: `${what}; its last model was written to ${o.file}, marked "partial": true`,
    };
  return {
    kind: 'skip',
    message: `${what}: no model file written${o.file ? ' (--partial writes its last model, marked)' : ''}`,
  };
}
