import type { OverlapPairRecord } from '../store/index.ts';

/** What a pair waits for next, and from whom (docs/overlap.md "Steps"). */
export type PairStage =
  | { stage: 'request' | 'count'; node: string }
  | { stage: 'reply'; node: string }
  | { stage: 'published' | 'failed' };

export function pairStage(p: OverlapPairRecord): PairStage {
  if (p.refusal) return { stage: 'failed' };
  if (p.release) return { stage: 'published' };
  if (!p.request) return { stage: 'request', node: p.initiator };
  if (!p.reply) return { stage: 'reply', node: p.responder };
  return { stage: 'count', node: p.initiator };
}

export function pairDone(p: OverlapPairRecord): boolean {
  const s = pairStage(p).stage;
  return s === 'published' || s === 'failed';
}
