/** Differential-privacy accounting shared by node and coordinator (docs/privacy.md). */
export * from './zcdp.ts';
