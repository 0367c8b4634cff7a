/**
 * The node's web console under `/console` (docs/node-api.md "Web console", docs/console.md): log in
 * with the local API's admin or auditor token; auditors see the ledger browser, verification,
 * budgets and erasures, admins also the policy, consents and "sign a checkpoint now". No client
 * JavaScript: every page is rendered on the server with hono JSX.
 *
 * @example
 * const nodeConsole = createNodeConsole({ dir, db, identity, tokens });
 * app.route(NODE_CONSOLE_BASE, nodeConsole.app); // GET /console/login, /console/ledger, ...
 */
export {
  createNodeConsole,
  NODE_CONSOLE_BASE,
  NODE_CONSOLE_COOKIE,
  type NodeConsole,
  type NodeConsoleOptions,
} from './node-console.tsx';
/** Filtered, keyset-paged ledger listing (newest first) behind the ledger browser. */
export {
  queryLedgerPage,
  LEDGER_PAGE_SIZE,
  type LedgerFilter,
  type LedgerCursor,
  type LedgerPageData,
} from './ledger-query.ts';
