/**
 * Differential privacy at the node (docs/privacy.md): exact discrete Laplace noise (Canonne,
 * Kamath, Steinke 2020) from the platform CSPRNG, per-block noise scales from the query layout,
 * exact budget accounting in micro-epsilon, and a black-box DP audit.
 *
 * @example
 * import { addNoise, sampleDiscreteLaplace, checkBudget } from './privacy/index.ts';
 * sampleDiscreteLaplace(2n, 1n); // e.g. -1n: P[X = x] is proportional to exp(-|x| / 2)
 * const noisy = addNoise(layout, exactValues); // { values, variance } with every slot noised
 * checkBudget(db, policy, 'analytics', 500_000, new Date());
 * // throws ProtocolError BUDGET_EXCEEDED "analytics budget for 2026-11 has 0.3 left; this query needs 0.5"
 */
/** Uniform integers without modulo bias, from crypto.getRandomValues. */
export { randomBelow } from './random.ts';
/** Discrete Gaussian sampling (CKS20 Algorithm 3). */
export { discreteGaussianSampler, sampleDiscreteGaussian } from './discrete-gaussian.ts';
/** Bernoulli(exp(-num/den)) exactly (CKS20 Algorithm 1). */
export { bernoulliExpMinus } from './bernoulli.ts';
/** Discrete Laplace sampling (CKS20 Algorithm 2), its variance and a block's noise scale. */
export {
  sampleDiscreteLaplace,
  discreteLaplaceSampler,
  discreteLaplaceVariance,
  discreteLaplaceParameter,
  blockNoiseScale,
  formatScale,
  type NoiseScale,
} from './discrete-laplace.ts';
/** Noise for a whole layout vector: every slot, with its block's scale. */
export {
  addNoise,
  layoutEpsilonMicro,
  type NoisyVector,
  type NoiseLayout,
  type NoiseBlock,
} from './noise.ts';
/** Budgets per purpose and UTC calendar period, charged inside the release transaction. */
export {
  budgetStatus,
  checkBudget,
  personBudgetStatus,
  publicReasonOf,
  type PersonBudgetStatus,
  chargeBudget,
  resetBudget,
  jobSpend,
  type BudgetStatus,
  type BudgetCharge,
} from './budget.ts';
/** Budgets of every purpose in epsilon units, for people, JSON and audit reports. */
export { budgetReport, type BudgetLine } from './budget-report.ts';
export { periodKey, periodRange, formatEpsilonMicro } from './period.ts';
/** Creates the privacy tables (budget charges, resets, releases) if missing. */
export { ensurePrivacySchema } from './schema.ts';
/**
 * Clopper-Pearson bounds and the neighbouring-dataset epsilon audit
 * (docs/privacy.md "How it is checked (tests)").
 */
export { clopperPearson, auditEpsilon, type EpsilonAudit } from './audit.ts';
