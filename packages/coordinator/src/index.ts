/**
 * @fedmark/coordinator: the federation's coordinator. Enrolls nodes, relays the HE key
 * ceremony (never holding the secret key), runs statistics jobs in rounds, sums ciphertexts
 * homomorphically and publishes results once decrypting nodes agree. State lives in SQLite.
 * `c.app` also serves the web console under /console (operator pages; with `auditorToken`,
 * an auditor role limited to the transparency log, in the API and the console).
 *
 * @example
 * import { createCoordinator, openStore } from '@fedmark/coordinator';
 * import { generateSigningKeyPair } from '@fedmark/protocol';
 * const c = createCoordinator({ store: openStore('./coord'), coordinatorKey: generateSigningKeyPair(), operatorToken: 'secret-token-123', auditorToken: 'auditor-token-456' });
 * await c.resume();
 * const res = await c.app.request('/health'); // { ok: true, version: 1 }
 * const doc = await (await c.app.request('/openapi.json')).json(); // OpenAPI 3.1, from the routes
 */
export {
  createCoordinator,
  MAX_BODY_BYTES,
  DEFAULT_MAX_ROWS_PER_NODE,
  type Coordinator,
} from './app.ts';
export type { CoordinatorOptions } from './context.ts';

/**
 * Opens (creating if needed) the coordinator database in a directory (`coordinator.db`, WAL).
 *
 * @example
 * const store = openStore('./coord'); // or ':memory:' in tests
 */
export { openStore, DB_FILE, type Store } from './store/index.ts';

/**
 * Loads node-seal once per process and builds the HE context of a parameter set.
 *
 * @example
 * const he = await heFor('bfv-8192-t60');
 */
export { heFor, loadSeal } from './aggregation/seal.ts';

/**
 * Ready-made job specs: rfm, lifecycle (x NES), ab-test (by campaign, variant and lifecycle stage), segment, train.
 *
 * @example
 * const spec = jobTemplate('rfm', '2026-01-31');
 */
export { jobTemplate, TEMPLATE_NAMES, type TemplateName } from './jobs/templates.ts';

/**
 * CLI entry for `fedmark coordinator|job|model ...`.
 *
 * @example
 * const code = await run(['job', 'template', 'lifecycle']);
 */
export { run } from './cli/main.ts';
