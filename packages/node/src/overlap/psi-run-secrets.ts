import type { PsiSecret } from '@fedmark/protocol';

/**
 * The initiator's PSI secrets between its request and the count (docs/overlap.md "Crashes"):
 * in memory only, never written anywhere. A node that restarts in between has lost the secret,
 * so it refuses the count step and the pair fails; the request it sent reveals nothing without it.
 */
export interface PsiRun {
  secret: PsiSecret;
  /** Points sent in the request: the reply must double-blind exactly that many. */
  requestSize: number;
  /** Customers whose keys were in the request: the release commits to them. */
  customers: string[];
  bound: number;
}

export type PsiRuns = Map<string, PsiRun>;

export function psiRunKey(jobId: string, pair: number): string {
  return `${jobId}/${pair}`;
}
