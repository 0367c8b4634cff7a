/**
 * Request rate limits (docs/operations.md "Rate limits"): token buckets keyed by node (taken
 * after the request's signature verified, so nobody can drain another node's allowance by naming
 * it) and by remote address (taken first, before any header is checked, so a flood from one
 * address costs the coordinator a map lookup per request). A node's agent polls once a second and answers a few tasks per round; the default
 * (a burst of 600, 60 a second) is far above that and far below what a runaway or hostile node
 * could send, which then gets 429 RATE_LIMITED with Retry-After instead of the coordinator's
 * time. Buckets refill on the coordinator's clock (tests move it).
 */
export interface RateLimit {
  /** Requests a node may send at once. */
  capacity: number;
  /** Requests a second it gets back. */
  refillPerSecond: number;
}

export const DEFAULT_NODE_RATE_LIMIT: RateLimit = { capacity: 600, refillPerSecond: 60 };

/**
 * Per remote address, on the node endpoints: ten times one node's allowance, since nodes behind
 * one NAT (or a whole test federation on 127.0.0.1) share an address; a hostile address beyond it
 * gets 429 before its headers are read.
 */
export const DEFAULT_ADDRESS_RATE_LIMIT: RateLimit = { capacity: 6000, refillPerSecond: 600 };

/** At most this many buckets are kept; beyond it the fullest ones are dropped (a full bucket holds nothing). */
const MAX_BUCKETS = 10_000;

export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number
  ) {
    if (!(limit.capacity >= 1 && limit.refillPerSecond > 0))
      throw new RangeError('a rate limit needs capacity >= 1 and refillPerSecond > 0');
  }

  /** Takes one request from `key`'s bucket; when empty, how many seconds until one is back. */
  take(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    const b = this.buckets.get(key) ?? { tokens: this.limit.capacity, at: t };
    const tokens = Math.min(
      this.limit.capacity,
      b.tokens + ((t - b.at) / 1000) * this.limit.refillPerSecond
    );
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: t });
      return { ok: false, retryAfterSeconds: Math.ceil((1 - tokens) / this.limit.refillPerSecond) };
    }
    if (this.buckets.size >= MAX_BUCKETS && !this.buckets.has(key)) this.buckets.clear();
    this.buckets.set(key, { tokens: tokens - 1, at: t });
    return { ok: true };
  }
}
