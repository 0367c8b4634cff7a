import { canonicalHash } from '@fedmark/protocol';

/**
 * Whether a customer belongs to the local validation split. The split is a function of the
 * customer id and the job's public seed only, so it never depends on anyone else's data: the
 * validation records and the training records are disjoint by construction, which is what lets
 * the evaluation histograms use parallel composition (Dwork & Roth 2014, §2.4 / McSherry 2009).
 */
export function isValidationRecord(customerId: string, fraction: number, seed: number): boolean {
  if (fraction <= 0) return false;
  const h = canonicalHash('train-validation-split', { seed, id: customerId });
  return Number.parseInt(h.slice(0, 8), 16) / 2 ** 32 < fraction;
}
