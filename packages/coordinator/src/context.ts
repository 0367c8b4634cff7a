import type { RateLimiter, RateLimit } from './nodes/rate-limit.ts';
import type { He, HeParamsId, SigningKeyPair } from '@fedmark/protocol';
import type { Store } from './store/index.ts';

/** Everything a coordinator needs, injected so tests can swap the clock, HE loader and store. */
/** The levels the coordinator logs at (pino's names). */
export type LogLevelName = 'info' | 'warn' | 'error';

export interface CoordinatorOptions {
  store: Store;
  /** Ed25519 key that signs receipts. */
  coordinatorKey: SigningKeyPair;
  /** Operator bearer token (compared in constant time). */
  operatorToken: string;
  /**
   * Auditor bearer token (compared in constant time): reads the transparency log
   * (/v1/transparency/*) and the console's Transparency page, and is refused (403) everywhere
   * else. Absent: there is no auditor role. Must differ from the operator token.
   */
  auditorToken?: string;
  /** HE context per parameter set; default loads node-seal (aggregation/seal.ts). */
  heFor?: (paramsId: HeParamsId) => Promise<He>;
  /** Milliseconds since the epoch; default Date.now. */
  now?: () => number;
  /** Operational log (never receives secrets, ciphertexts or values). Default: stderr. */
  /** One line per event; `level` defaults to info (docs/operations.md "Logs"). */
  log?: (line: string, level?: LogLevelName) => void;
  /**
   * Rows per node assumed by the plaintext-modulus overflow check (worst case: every row at its
   * clipping bound). Default 10^7 (docs/federation-protocol.md): under bfv-8192-t60 (t ~ 1.15e18)
   * a sum of cents clipped at 5000.00 (5e5 per row) then fits for 64 nodes.
   */
  maxRowsPerNode?: number;
  /** Arm real timers for deadlines and straggler waits (default true; tests drive `engine.tick()`). */
  timers?: boolean;
  /** Requests per node (nodes/rate-limit.ts); default a burst of 600, 60 a second. */
  nodeRateLimit?: RateLimit;
  /** Requests per remote address on the node endpoints, before authentication; default 6000 then 600 a second. */
  addressRateLimit?: RateLimit;
}

export interface Ctx {
  store: Store;
  coordinatorKey: SigningKeyPair;
  operatorToken: string;
  auditorToken: string | undefined;
  heFor: (paramsId: HeParamsId) => Promise<He>;
  now: () => number;
  iso: () => string;
  log: (line: string, level?: LogLevelName) => void;
  maxRowsPerNode: number;
  nodeRateLimiter: RateLimiter;
  addressRateLimiter: RateLimiter;
}
