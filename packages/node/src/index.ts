/**
 * @fedmark/node: a data-owner node of the federation (docs/architecture.md §1). It imports the
 * institution's customer data, keeps the consent and erasure ledger, answers segment-statistics
 * queries only through the DP release path, serves a local admin/auditor API and talks to the
 * coordinator outbound only. Raw records and un-noised statistics never leave it.
 *
 * Each group below re-exports one concept folder; the folders' own index files document the
 * rest. Storage, identity and release functions take an open database and the node identity.
 */

/**
 * Create a node directory (SQLite database, Ed25519/X25519 keys in a 0600 file, pseudonym
 * pepper, default policy) and load it back.
 *
 * @example
 * import { initNode, loadIdentity, openNodeDatabase } from '@fedmark/node';
 * await initNode({ dir: './node-a', name: 'retail-a' });
 * const identity = loadIdentity('./node-a');
 * const db = openNodeDatabase('./node-a');
 */
export {
  initNode,
  loadIdentity,
  publicIdentity,
  pseudonymFor,
  type NodeIdentity,
  type NodePublicIdentity,
} from './identity/index.ts';

/**
 * The node's SQLite store and the consent-filtered read interface analytics run on.
 *
 * @example
 * const source = createUnitSource(db, { purpose: 'analytics', asOf: '2025-01-01' });
 * for (const c of source.customers()) console.log(c.purchaseCount);
 */
export {
  openNodeDatabase,
  createUnitSource,
  listFeatureTables,
  featureTableColumns,
  NODE_DB_FILE,
} from './store/index.ts';

/**
 * The warehouse backend (docs/warehouse.md): with `<dir>/warehouse.json`, analytics read the
 * institution's PostgreSQL through the mapping instead of the imported tables.
 *
 * @example
 * const source = openUnitSource(db, { purpose: 'analytics', asOf: '2025-01-01' });
 * for (const c of source.customers()) console.log(c.purchaseCount); // from PostgreSQL if mapped
 */
export {
  openUnitSource,
  openFeatureCatalog,
  parseWarehouseMapping,
  loadWarehouseMapping,
  saveWarehouseMapping,
  WarehouseError,
  type WarehouseMapping,
} from './warehouse/index.ts';

/**
 * Streamed, validated, all-or-nothing CSV import (customers, events, touches, consents, tables).
 *
 * @example
 * const report = await importCsv(db, identity, { kind: 'events', file: 'events.csv' });
 * report.rowsInserted; // rows new to the store (rowsChanged: existing rows the file changed)
 */
export {
  importCsv,
  ImportError,
  LAWFUL_BASES,
  type ImportCsvOptions,
  type ImportReport,
} from './importing/index.ts';

/**
 * Consent changes, each a pseudonymous ledger entry.
 *
 * @example
 * grantConsent(db, identity, { customerId: 'C-1', purpose: 'analytics', source: 'web_form' });
 * revokeConsent(db, identity, { customerId: 'C-1', purpose: 'marketing', source: 'email' });
 */
export { grantConsent, revokeConsent, consentInForce, consentSummary } from './consent/index.ts';

/**
 * Right to erasure: every raw row removed and overwritten, a pseudonymous tombstone kept.
 *
 * @example
 * eraseCustomer(db, identity, 'C-1001', { reason: 'gdpr_art17_request' }); // { pseudonym, rowsDeleted }
 */
export { eraseCustomer, eraseCustomersFromFile, type EraseResult } from './erasure/index.ts';

/**
 * The append-only, hash-chained ledger.
 *
 * @example
 * listLedger(db, { type: 'release', limit: 10 });
 * verifyLedger(db); // { ok: true, size, head } or { ok: false, size, firstBadSeq, reason }
 */
export {
  listLedger,
  verifyLedger,
  appendLedgerEntry,
  type VerifyLedgerResult,
} from './ledger/index.ts';

/**
 * The node's own policy (minimum cohort, budgets, allowed purposes); changes are ledger entries.
 *
 * @example
 * const policy = loadPolicy('./node-a');
 * savePolicy('./node-a', db, { ...policy, minCohort: 20 }, { reason: 'DPO review' });
 */
export { loadPolicy, savePolicy, evaluateRound } from './policy/index.ts';

/**
 * Privacy budgets per purpose and period, and the exact discrete Laplace sampler.
 *
 * @example
 * budgetStatus(db, policy, 'analytics'); // [{ capMicro, spentMicro, remainingMicro, ... }]
 */
export { budgetStatus, sampleDiscreteLaplace, addNoise } from './privacy/index.ts';

/**
 * The only path by which a statistic leaves the node: policy, budget, minimum cohort, noise,
 * ledger, in one transaction.
 *
 * @example
 * const r = releaseSegmentStats({ db, identity, policy }, { query, source, jobId: 'job-7', round: 0 });
 * r.values; // noisy bigint vector in layout order
 */
export { releaseSegmentStats, releaseLocalStats, type Release } from './release/index.ts';

/**
 * Derived per-customer segmentations (RFM, lifecycle, NES, CLV) and the exact segment vector.
 *
 * @example
 * const exact = computeSegmentVector(query, source); // never leaves the node un-noised
 */
export {
  computeSegmentVector,
  deriveCustomerFields,
  memoryUnitSource,
  type UnitSource,
} from './analytics/index.ts';

/**
 * Federation: enrollment with a one-time token and the outbound polling agent.
 *
 * @example
 * await enrollNode({ dir: './node-a', coordinatorUrl: 'https://127.0.0.1:7900', token, tlsFingerprint: 'sha256:9f2c...' });
 * await runAgent({ dir: './node-a', coordinatorUrl: 'https://127.0.0.1:7900', pollMs: 1000, signal });
 */
export { enrollNode, runAgent } from './federation/index.ts';

/**
 * The local admin/auditor HTTP API (hono) and its role-scoped tokens.
 *
 * @example
 * const { tokens } = loadOrCreateApiTokens('./node-a');
 * const app = createNodeApp({ dir: './node-a', db, identity, tokens });
 * await app.request('/health'); // 200 {status:'ok', node, version: 1}
 */
export { createNodeApp, MAX_BODY_BYTES, type NodeAppOptions } from './api/app.ts';
export {
  loadOrCreateApiTokens,
  generateApiTokens,
  roleForToken,
  API_TOKENS_FILE,
  type ApiRole,
  type ApiToken,
} from './api/tokens.ts';

/**
 * A local segment-statistics query through the release path, read back with 95% intervals
 * (what `fedmark node stats` and POST /v1/stats run).
 *
 * @example
 * const r = runLocalStats({ dir: './node-a', db, identity }, SegmentQuerySchema.parse(json));
 * r.result.cells[0].count; // { estimate, sd, low, high }
 */
export { runLocalStats, type LocalStatsResult } from './api/local-stats.ts';

/**
 * Seeded synthetic institutions (retail, bank, telecom): same seed, byte-identical CSV files.
 *
 * @example
 * const rep = await generateSynthetic({ dir: './data-a', profile: 'retail', seed: '1', customers: 5000 });
 * rep.files.events; // './data-a/events.csv'
 */
export {
  generateSynthetic,
  PROFILE_NAMES,
  type SynthOptions,
  type SynthReport,
  type ProfileName,
} from './synth/index.ts';

/**
 * The `fedmark node ...` / `fedmark audit ...` command line, callable in-process.
 *
 * @example
 * const code = await run(['node', 'ledger', 'verify', '--dir', './node-a', '--json']);
 */
export { run } from './cli/main.ts';
export { EXIT } from './cli/exit-codes.ts';
