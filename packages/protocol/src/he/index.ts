export * from './params.ts';
export * from './codec.ts';
export * from './blob.ts';
export type * from './seal-like.ts';
export * from './he.ts';
