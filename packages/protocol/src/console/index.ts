/**
 * The web console kit shared by the node and the coordinator (docs/console.md):
 * server-rendered hono JSX pages, no client JavaScript.
 *
 * - `createConsoleKit({ appName, basePath, cookieName, roleForToken, homeFor, navFor })` gives a
 *   hono app with login/logout, assets and security headers; add pages with
 *   `kit.app.get(path, kit.requireRole('operator'), (c) => kit.page(c, { title, children }))`,
 *   then mount it: `parent.route(basePath, kit.app)`.
 * - `requireRole` checks the signed session cookie (HttpOnly, SameSite=Strict), the role, and on
 *   every non-GET request the `_csrf` form field (render it with `<CsrfField session={...} />`)
 *   and the Origin header.
 * - Components: `Alert`, `Badge`, `Empty`, `Facts`, `CsrfField`, `BarChart` (error bars, a
 *   reference line), `LineChart`; `niceTicks`/`formatTick` for scales.
 */
export {
  createConsoleKit,
  CONSOLE_CSP,
  CONSOLE_MAX_BODY_BYTES,
  type ConsoleEnv,
  type ConsoleKit,
  type ConsoleKitOptions,
} from './kit.tsx';
export {
  createSessionCodec,
  equalTokens,
  DEFAULT_SESSION_TTL_MS,
  type ConsoleSession,
  type SessionCodec,
} from './session.ts';
export {
  Alert,
  Badge,
  ConsolePage,
  CsrfField,
  Empty,
  Facts,
  renderPage,
  type ConsolePageProps,
  type NavItem,
} from './layout.tsx';
export {
  BarChart,
  LineChart,
  type Bar,
  type BarChartProps,
  type LineChartProps,
  type LineSeries,
} from './charts.tsx';
export { CHART_CSS } from './styles.ts';
export { formatTick, niceTicks } from './ticks.ts';
export { formatUtc, shortHex } from './format.ts';
