/** Differential-privacy accounting shared by node and coordinator (docs/privacy.md). */
export * from './zcdp.ts';
export * from './spend.ts';
export * from './mechanism.ts';
export * from './round-noise.ts';
