/**
 * The overlap job (docs/overlap.md): pairwise shared-customer counts between nodes, each a PSI
 * cardinality run (psi/) whose count carries noise the responder adds through matching dummies,
 * so no party, relay or reader learns an exact intersection size.
 */
export * from './overlap-spec.ts';
export * from './overlap-noise.ts';
export * from './overlap-messages.ts';
export * from './overlap-sealing.ts';
export * from './overlap-padding.ts';
