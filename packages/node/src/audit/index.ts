/**
 * Compliance audit of a node (docs/audit.md): chain and Merkle recomputation,
 * checkpoint signatures, receipts and consistency, the coordinator's transparency log, and a
 * per-purpose report of budgets, releases, consents, erasures and refusals.
 */
export {
  auditNode,
  AUDIT_CHECKS,
  type AuditCheck,
  type AuditCheckName,
  type AuditOptions,
  type AuditReport,
} from './verify-node.ts';
export {
  complianceReport,
  type ComplianceReport,
  type PeriodSpend,
  type ReleaseLine,
} from './compliance.ts';
export { recomputeLedgerTree, type RecomputedTree } from './recompute.ts';
export { readCoordinatorView, type AuditFetch, type CoordinatorView } from './coordinator-view.ts';
export { formatAuditReport } from './format.ts';
export {
  renderAuditHtml,
  spendChartSvg,
  esc as escapeHtml,
  type ExportMeta,
} from './export-html.ts';
export {
  exportAuditReport,
  writeFileAtomic,
  toolVersion,
  type ExportOptions,
} from './export-file.ts';
export {
  checkErasuresHonoured,
  type UnitsProver,
  type ErasureCheckResult,
} from './erasure-check.ts';
export { httpLedgerSource, type HttpSourceOptions } from './source-http.ts';
export { directorySource } from './source-directory.ts';
export type {
  LedgerSource,
  LedgerRowForm,
  NodeFacts,
  StoredCheckpointForm,
  ConsentCounts,
  CurrentBudget,
} from './source.ts';
