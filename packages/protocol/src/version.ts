/** Wire protocol version. Every message carries it as a literal so a peer on another version is refused, not misread. */
export const PROTOCOL_VERSION = 1 as const;

/** Domain-separation prefix for everything we hash or sign (see encoding.ts). */
export const DOMAIN_PREFIX = 'fedmark/v1/';
