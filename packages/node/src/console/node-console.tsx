import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { HTTP_STATUS, isProtocolError } from '@fedmark/protocol';
import {
  createConsoleKit,
  type ConsoleEnv,
  type ConsoleKit,
  type NavItem,
  type SessionCodec,
} from '@fedmark/protocol/console';
import type Database from 'better-sqlite3';
import { roleForToken, type ApiRole, type ApiToken } from '../api/tokens.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { ActionsView, loadActions } from './actions-page.tsx';
import { BudgetsView, loadBudgets } from './budgets-page.tsx';
import { CheckpointsView, loadCheckpoints, signCheckpointNow } from './checkpoint-page.tsx';
import { ConsentsView, loadConsents } from './consents-page.tsx';
import type { NodeConsoleContext } from './context.ts';
import { ErasuresView, loadErasures } from './erasures-page.tsx';
import { LedgerView, loadLedgerPage } from './ledger-page.tsx';
import { loadPolicyPage, PolicyView } from './policy-page.tsx';
import { approveFromForm, loadMembers, MembersView } from './members-page.tsx';
import { loadVerification, VerificationView } from './verification-page.tsx';

/** The node console's session cookie: distinct from the coordinator's, as loopback apps share a host. */
export const NODE_CONSOLE_COOKIE = 'fedmark_node_session';
export const NODE_CONSOLE_BASE = '/console';

export interface NodeConsoleOptions {
  dir: string;
  db: Database.Database;
  identity: NodeIdentity;
  /** The local API's role-scoped tokens: the console logs in with the same ones. */
  tokens: readonly ApiToken[];
  /** Where unexpected errors are logged (never shown on the page). */
  log?: (message: string, err: unknown) => void;
  codec?: SessionCodec;
  now?: () => Date;
}

const p = (base: string, path: string) => `${base}${path}`;

/** Auditor pages first (both roles), then the admin-only pages. */
function navFor(base: string, role: ApiRole): NavItem[] {
  const auditor = [
    { href: p(base, '/ledger'), label: 'Ledger' },
    { href: p(base, '/verification'), label: 'Verification' },
    { href: p(base, '/budgets'), label: 'Budgets' },
    { href: p(base, '/erasures'), label: 'Erasures' },
    { href: p(base, '/actions'), label: 'Decisions' },
  ];
  if (role !== 'admin') return auditor;
  return [
    ...auditor,
    { href: p(base, '/policy'), label: 'Policy' },
    { href: p(base, '/consents'), label: 'Consents' },
    { href: p(base, '/checkpoints'), label: 'Checkpoints' },
    { href: p(base, '/members'), label: 'Members' },
  ];
}

export interface NodeConsole {
  /** Mount this: `parent.route(NODE_CONSOLE_BASE, console.app)`. */
  app: Hono<ConsoleEnv>;
  kit: ConsoleKit<ApiRole>;
}

/**
 * The node's web console (docs/console.md): auditor pages (ledger browser, verification,
 * budgets, erasures, decisions and audiences) and admin pages (policy, consents, sign a checkpoint), server-rendered with
 * hono JSX on the shared console kit. Mount with `parent.route(NODE_CONSOLE_BASE, console.app)`.
 */
export function createNodeConsole(o: NodeConsoleOptions): NodeConsole {
  const base = NODE_CONSOLE_BASE;
  const log = o.log ?? ((m, e) => console.error(m, e));
  const ctx: NodeConsoleContext = {
    dir: o.dir,
    db: o.db,
    identity: o.identity,
    base,
    now: o.now ?? (() => new Date()),
  };
  const kit = createConsoleKit<ApiRole>({
    appName: `fedmark node ${o.identity.name}`,
    basePath: base,
    cookieName: NODE_CONSOLE_COOKIE,
    roleForToken: (t) => roleForToken(o.tokens, t),
    // The ledger browser is cheap; verification recomputes the whole tree (seconds on 1M entries).
    homeFor: () => p(base, '/ledger'),
    navFor: (role) => navFor(base, role),
    ...(o.codec ? { codec: o.codec } : {}),
  });
  const { app, requireRole, page } = kit;
  const anyRole = requireRole('admin', 'auditor');
  const admin = requireRole('admin');

  // A page error is a framed page, not the API's JSON: user-facing errors say what, the rest nothing.
  app.onError((err, c: Context) => {
    if (isProtocolError(err))
      return kit.errorPage(
        c,
        HTTP_STATUS[err.code] as ContentfulStatusCode,
        'Cannot show this page',
        `${err.code}: ${err.message}`
      );
    log('node console: unhandled error', err);
    return kit.errorPage(
      c,
      500,
      'Internal error',
      "The page could not be built. The details are in the node's log."
    );
  });

  app.get('/ledger', anyRole, (c) => {
    const model = loadLedgerPage(ctx, c.req.query());
    return page(
      c,
      { title: 'Ledger', children: <LedgerView model={model} base={base} /> },
      model.errors.length > 0 ? 400 : 200
    );
  });
  app.get('/verification', anyRole, async (c) => {
    const model = await loadVerification(ctx, { rerun: c.req.query('rerun') === '1' });
    return page(c, {
      title: 'Verification',
      children: <VerificationView model={model} base={base} />,
    });
  });
  app.get('/budgets', anyRole, (c) =>
    page(c, { title: 'Privacy budgets', children: <BudgetsView model={loadBudgets(ctx)} /> })
  );
  app.get('/erasures', anyRole, async (c) => {
    const model = await loadErasures(ctx, { rerun: c.req.query('rerun') === '1' });
    return page(c, { title: 'Erasures', children: <ErasuresView model={model} base={base} /> });
  });

  app.get('/actions', anyRole, (c) =>
    page(c, {
      title: 'Decisions and audiences',
      children: <ActionsView model={loadActions(ctx)} base={base} />,
    })
  );

  app.get('/policy', admin, (c) =>
    page(c, { title: 'Policy', children: <PolicyView model={loadPolicyPage(ctx)} base={base} /> })
  );
  app.get('/consents', admin, (c) =>
    page(c, { title: 'Consents', children: <ConsentsView model={loadConsents(ctx)} base={base} /> })
  );
  app.get('/checkpoints', admin, (c) =>
    page(c, {
      title: 'Checkpoints',
      children: (
        <CheckpointsView
          model={loadCheckpoints(ctx, c.req.query('signed'))}
          base={base}
          session={c.get('consoleSession')}
        />
      ),
    })
  );
  // Post/redirect/get: a reload of the result page does not sign another checkpoint.
  app.post('/checkpoints', admin, (c) =>
    c.redirect(p(base, `/checkpoints?signed=${signCheckpointNow(ctx).id}`), 303)
  );

  // Pinned membership (docs/federation-protocol.md "Key ceremony"): the admin approves a pending
  // key epoch's member set; post/redirect/get as for checkpoints.
  app.get('/members', admin, (c) =>
    page(c, {
      title: 'Key epoch members',
      children: (
        <MembersView
          model={loadMembers(ctx, c.req.query('approved'))}
          base={base}
          session={c.get('consoleSession')}
        />
      ),
    })
  );
  app.post('/members', admin, async (c) => {
    const approved = approveFromForm(ctx, await c.req.parseBody());
    return c.redirect(p(base, `/members?approved=${approved.keyId}`), 303);
  });

  app.all('*', (c) => {
    // "/console/" (a typed URL with a slash) is the console's root, which the kit serves at "/console".
    if (c.req.path === `${base}/` && c.req.method === 'GET') return c.redirect(base, 303);
    return kit.errorPage(c, 404, 'Not found', `There is no console page ${c.req.path}.`);
  });
  return { app, kit };
}
