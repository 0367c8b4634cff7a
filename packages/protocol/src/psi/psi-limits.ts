/** Size bounds every PSI party applies to the sets it handles (docs/psi.md "Limits"). */

/**
 * Hard ceiling on one set: 2^20 points are 32 MiB packed, the 1M x 1M run the shared-customers
 * work targets (docs/psi.md "Limits"). Policies may only lower it.
 */
export const PSI_MAX_SET_SIZE = 1 << 20;

/** Bounds a party applies to every set it receives. */
export type PsiLimits = {
  /** Largest set accepted, at most PSI_MAX_SET_SIZE. */
  maxSetSize: number;
  /**
   * Smallest set accepted from the peer. A tiny initiator set turns the exact count into a
   * membership test of the few customers in it (docs/psi.md "Who learns what").
   */
  minSetSize: number;
};

export const PSI_DEFAULT_LIMITS: PsiLimits = { maxSetSize: PSI_MAX_SET_SIZE, minSetSize: 0 };

export function checkLimits(limits: PsiLimits): PsiLimits {
  const { maxSetSize, minSetSize } = limits;
  if (!Number.isSafeInteger(maxSetSize) || maxSetSize < 0 || maxSetSize > PSI_MAX_SET_SIZE) {
    throw new RangeError(`"maxSetSize" expected an integer in 0..${PSI_MAX_SET_SIZE}`);
  }
  if (!Number.isSafeInteger(minSetSize) || minSetSize < 0 || minSetSize > maxSetSize) {
    throw new RangeError('"minSetSize" expected an integer in 0..maxSetSize');
  }
  return limits;
}
