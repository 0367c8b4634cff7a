import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { createMiddleware } from 'hono/factory';
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { bytesToHex, randomBytes } from '../hashing.ts';
import { Alert, ConsolePage, renderPage, type NavItem } from './layout.tsx';
import { LoginPage } from './login-page.tsx';
import {
  createSessionCodec,
  equalTokens,
  type ConsoleSession,
  type SessionCodec,
} from './session.ts';
import { CONSOLE_CSS, FAVICON_SVG } from './styles.ts';

export type ConsoleEnv = { Variables: { consoleSession: ConsoleSession } };

export interface ConsoleKitOptions<R extends string> {
  /** Header and title text, e.g. "fedmark coordinator". */
  appName: string;
  /** Where the parent app mounts `kit.app`, e.g. "/console". */
  basePath: string;
  /** Distinct per application: cookies are not separated by port, and loopback apps share a host. */
  cookieName: string;
  /** The role of an API token, or null (compare in constant time: the APIs' own token check). */
  roleForToken(token: string): R | null;
  /** Landing page of a role after login. */
  homeFor(role: R): string;
  /** Navigation shown to a role: only pages that role may open. */
  navFor(role: R): NavItem[];
  codec?: SessionCodec;
  /** Set the cookie's Secure flag (default: when the request came over https). */
  secureCookie?: boolean;
}

export interface ConsoleKit<R extends string> {
  /** Add pages to this app, then mount it: `parent.route(basePath, kit.app)`. */
  app: Hono<ConsoleEnv>;
  /**
   * Session + role gate for a page or form handler. GET without a session redirects to the
   * login form; a wrong role is a 403 page. Every other method must also carry the session's
   * CSRF token in the `_csrf` form field and, when the browser sends Origin, come from this
   * origin; otherwise 403 and the handler never runs.
   */
  requireRole(...roles: R[]): MiddlewareHandler<ConsoleEnv>;
  /** Renders a console page framed with the session role's navigation. */
  page(
    c: Context<ConsoleEnv>,
    props: { title: string; current?: string; refreshSeconds?: number; children?: Child },
    status?: ContentfulStatusCode
  ): Response | Promise<Response>;
  /** A framed error page (403, 404, 400 ...) with a message that says what to do. */
  errorPage(
    c: Context,
    status: ContentfulStatusCode,
    title: string,
    message: string
  ): Response | Promise<Response>;
}

/** Largest console form body: a job spec typed into the form is a few KiB. */
export const CONSOLE_MAX_BODY_BYTES = 256 * 1024;

/**
 * No script from anywhere, styles and images only from the console itself, forms only to it,
 * never framed: the console works without client JavaScript, so the policy can forbid it all.
 */
export const CONSOLE_CSP =
  "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * The web console's shared machinery for the node and the coordinator (docs/console.md): login with
 * the same role-scoped tokens as the APIs, a signed HttpOnly SameSite=Strict session cookie,
 * CSRF tokens on every form, security headers, assets, and page framing. Pages are hono JSX,
 * rendered on the server.
 */
export function createConsoleKit<R extends string>(opts: ConsoleKitOptions<R>): ConsoleKit<R> {
  const codec = opts.codec ?? createSessionCodec();
  const base = opts.basePath.replace(/\/$/, '');
  const loginCookie = `${opts.cookieName}_login`;
  const app = new Hono<ConsoleEnv>();
  // Sessions are only ever issued by this kit for a role roleForToken returned.
  const roleOf = (session: ConsoleSession) => session.role as R;
  const secure = (c: Context) => opts.secureCookie ?? new URL(c.req.url).protocol === 'https:';
  const sessionOf = (c: Context) => codec.read(getCookie(c, opts.cookieName));

  const errorPage: ConsoleKit<R>['errorPage'] = (c, status, title, message) => {
    const session = sessionOf(c);
    return renderPage(
      c,
      <ConsolePage
        appName={opts.appName}
        basePath={base}
        title={title}
        nav={session ? opts.navFor(roleOf(session)) : []}
        session={session}
      >
        <Alert kind="error">{message}</Alert>
        <p>
          <a href={base}>Back to the console</a>
        </p>
      </ConsolePage>,
      status
    );
  };

  const sameOrigin = (c: Context) => {
    const origin = c.req.header('origin');
    return origin === undefined || origin === new URL(c.req.url).origin;
  };

  /** A `next` target after login: only a path inside the console (no open redirect). */
  const safeNext = (next: unknown): string | null =>
    typeof next === 'string' &&
    next.startsWith(`${base}/`) &&
    !next.startsWith('//') &&
    !/[\\\s]/.test(next)
      ? next
      : null;

  app.use('*', async (c, next) => {
    await next();
    c.header('content-security-policy', CONSOLE_CSP);
    c.header('x-content-type-options', 'nosniff');
    c.header('x-frame-options', 'DENY');
    // same-origin, not no-referrer: under no-referrer Chromium sends `Origin: null` on form
    // POSTs, which the origin check below must refuse. same-origin still leaks nothing off-site.
    c.header('referrer-policy', 'same-origin');
    if (!c.res.headers.has('cache-control')) c.header('cache-control', 'no-store');
  });
  app.use(
    '*',
    bodyLimit({
      maxSize: CONSOLE_MAX_BODY_BYTES,
      onError: (c) =>
        errorPage(
          c,
          413,
          'Request too large',
          `A console form may send at most ${CONSOLE_MAX_BODY_BYTES / 1024} KiB.`
        ),
    })
  );

  app.get('/assets/console.css', (c) =>
    c.body(CONSOLE_CSS, 200, {
      'content-type': 'text/css; charset=utf-8',
      'cache-control': 'max-age=3600',
    })
  );
  app.get('/assets/favicon.svg', (c) =>
    c.body(FAVICON_SVG, 200, { 'content-type': 'image/svg+xml', 'cache-control': 'max-age=3600' })
  );

  app.get('/', (c) => {
    const session = sessionOf(c);
    return c.redirect(session ? opts.homeFor(roleOf(session)) : `${base}/login`, 303);
  });

  const showLogin = (
    c: Context,
    status: ContentfulStatusCode,
    error: string | null,
    next: string | null
  ) => {
    const loginCsrf = bytesToHex(randomBytes(16));
    setCookie(c, loginCookie, loginCsrf, {
      httpOnly: true,
      sameSite: 'Strict',
      path: base,
      secure: secure(c),
      maxAge: 600,
    });
    return renderPage(
      c,
      <LoginPage
        appName={opts.appName}
        basePath={base}
        loginCsrf={loginCsrf}
        error={error}
        next={next}
      />,
      status
    );
  };

  app.get('/login', (c) => {
    const session = sessionOf(c);
    if (session) return c.redirect(opts.homeFor(roleOf(session)), 303);
    return showLogin(c, 200, null, safeNext(c.req.query('next')));
  });

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(form['next']);
    const expected = getCookie(c, loginCookie);
    const presented = form['_login_csrf'];
    if (
      !sameOrigin(c) ||
      expected === undefined ||
      typeof presented !== 'string' ||
      !equalTokens(presented, expected)
    ) {
      return showLogin(
        c,
        403,
        'The login form expired or came from another site. Please try again.',
        next
      );
    }
    const token = typeof form['token'] === 'string' ? form['token'].trim() : '';
    const role = token.length > 0 && token.length <= 512 ? opts.roleForToken(token) : null;
    if (role === null)
      return showLogin(
        c,
        401,
        'Unknown token. Use an API token of this service (see its tokens file).',
        next
      );
    const { cookieValue, session } = codec.issue(role);
    deleteCookie(c, loginCookie, { path: base });
    setCookie(c, opts.cookieName, cookieValue, {
      httpOnly: true,
      sameSite: 'Strict',
      path: base,
      secure: secure(c),
      maxAge: Math.floor((session.expiresAt - Date.now()) / 1000),
    });
    return c.redirect(next ?? opts.homeFor(role), 303);
  });

  const requireRole: ConsoleKit<R>['requireRole'] = (...roles) =>
    createMiddleware<ConsoleEnv>(async (c, next) => {
      const session = sessionOf(c);
      const unsafe = UNSAFE.has(c.req.method);
      if (session === null) {
        if (!unsafe) return c.redirect(`${base}/login?next=${encodeURIComponent(c.req.path)}`, 303);
        return errorPage(
          c,
          403,
          'Session expired',
          'Your session has expired or you logged out. Log in again, then resend the form.'
        );
      }
      if (!(roles as string[]).includes(session.role)) {
        return errorPage(
          c,
          403,
          'Forbidden',
          `This page needs the ${roles.join(' or ')} role; you are logged in as ${session.role}.`
        );
      }
      if (unsafe) {
        const form = await c.req.parseBody();
        const presented = form['_csrf'];
        if (
          !sameOrigin(c) ||
          typeof presented !== 'string' ||
          !equalTokens(presented, session.csrf)
        ) {
          return errorPage(
            c,
            403,
            'Forbidden',
            'The form is missing its security token or came from another site. Reload the page and try again.'
          );
        }
      }
      c.set('consoleSession', session);
      await next();
      return undefined;
    });

  app.post('/logout', async (c) => {
    const session = sessionOf(c);
    if (session) {
      const form = await c.req.parseBody();
      const presented = form['_csrf'];
      if (
        !sameOrigin(c) ||
        typeof presented !== 'string' ||
        !equalTokens(presented, session.csrf)
      ) {
        return errorPage(
          c,
          403,
          'Forbidden',
          'The logout form is missing its security token. Reload the page and try again.'
        );
      }
      codec.revoke(session);
    }
    deleteCookie(c, opts.cookieName, { path: base });
    return c.redirect(`${base}/login`, 303);
  });

  const page: ConsoleKit<R>['page'] = (c, p, status) => {
    const session = c.get('consoleSession');
    const nav = opts.navFor(roleOf(session));
    return renderPage(
      c,
      <ConsolePage
        appName={opts.appName}
        basePath={base}
        title={p.title}
        nav={nav}
        current={p.current ?? c.req.path}
        session={session}
        refreshSeconds={p.refreshSeconds}
      >
        {p.children}
      </ConsolePage>,
      status
    );
  };

  return { app, requireRole, page, errorPage };
}
