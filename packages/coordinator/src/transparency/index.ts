/**
 * The coordinator's transparency log of node checkpoints (docs/audit.md): an
 * append-only RFC 6962 log, signed receipts, refusals of inconsistent checkpoints, and the
 * auditor endpoints serving its head and proofs.
 */
export {
  transparencyRoutes,
  transparencyLogFor,
  TRANSPARENCY_LOG_ORIGIN,
  type TransparencyOptions,
} from './routes.ts';
export { openTransparencyLog, type TransparencyLog } from './log-store.ts';
export { acceptCheckpoint } from './accept.ts';
