/** Probabilistic CLV: BG/NBD + Gamma-Gamma likelihoods, pooled fit, predictions (docs/clv.md). */
export * from './bgnbd.ts';
export * from './gamma-gamma.ts';
export * from './likelihood.ts';
export * from './pooled-fit.ts';
export * from './clv-value.ts';
export * from './holdout.ts';
export * from './clv-model.ts';
export * from './federated-layout.ts';
export * from './federated-step.ts';
export * from './clv-job.ts';
export * from './clv-assembly.ts';
