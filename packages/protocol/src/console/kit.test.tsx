import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { createConsoleKit } from './kit.tsx';
import { createSessionCodec } from './session.ts';

type Role = 'operator' | 'auditor';
const TOKENS: Record<string, Role> = { 'op-token': 'operator', 'au-token': 'auditor' };
const ORIGIN = 'http://console.test';

function makeApp() {
  const actions: string[] = [];
  const codec = createSessionCodec();
  const kit = createConsoleKit<Role>({
    appName: 'test console',
    basePath: '/console',
    cookieName: 'test_session',
    codec,
    roleForToken: (t) => TOKENS[t] ?? null,
    homeFor: (r) => (r === 'operator' ? '/console/jobs' : '/console/log'),
    navFor: (r) =>
      r === 'operator'
        ? [{ href: '/console/jobs', label: 'Jobs' }]
        : [{ href: '/console/log', label: 'Log' }],
  });
  kit.app.get('/jobs', kit.requireRole('operator'), (c) =>
    kit.page(c, { title: 'Jobs <b>', children: <p data-testid="ok">jobs page</p> })
  );
  kit.app.post('/jobs', kit.requireRole('operator'), (c) => {
    actions.push('created');
    return c.redirect('/console/jobs', 303);
  });
  kit.app.get('/log', kit.requireRole('operator', 'auditor'), (c) =>
    kit.page(c, { title: 'Log', children: <p>log</p> })
  );
  const parent = new Hono();
  parent.route('/console', kit.app);
  return { app: parent, actions, codec };
}

function cookiesOf(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i).trim(), { value: pair.slice(i + 1), attrs: attrs.join(';').trim() });
  }
  return out;
}

async function login(app: Hono, token: string, extra: Record<string, string> = {}) {
  const form = await app.request(`${ORIGIN}/console/login`);
  const loginCookie = cookiesOf(form).get('test_session_login')?.value ?? '';
  const html = await form.text();
  const csrf = /name="_login_csrf" value="([0-9a-f]+)"/.exec(html)?.[1] ?? '';
  return app.request(`${ORIGIN}/console/login`, {
    method: 'POST',
    headers: {
      cookie: `test_session_login=${loginCookie}`,
      origin: ORIGIN,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _login_csrf: csrf, token, ...extra }).toString(),
  });
}

async function session(app: Hono, token: string): Promise<{ cookie: string; csrf: string }> {
  const res = await login(app, token);
  const cookie = `test_session=${cookiesOf(res).get('test_session')?.value ?? ''}`;
  const page = await app.request(`${ORIGIN}/console/log`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(await page.text())?.[1] ?? '';
  return { cookie, csrf };
}

const post = (
  app: Hono,
  path: string,
  cookie: string,
  fields: Record<string, string>,
  origin = ORIGIN
) =>
  app.request(`${ORIGIN}${path}`, {
    method: 'POST',
    headers: { cookie, origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields).toString(),
  });

describe('console kit: login and session cookie', () => {
  it('a good token gets an HttpOnly SameSite=Strict cookie scoped to the console and lands on the role home', async () => {
    const { app } = makeApp();
    const res = await login(app, 'op-token');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/jobs');
    const c = cookiesOf(res).get('test_session');
    expect(c?.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(c?.attrs).toContain('HttpOnly');
    expect(c?.attrs).toContain('SameSite=Strict');
    expect(c?.attrs).toContain('Path=/console');
    expect(c?.value).not.toContain('op-token');
  });

  it('an unknown token is 401 with no session cookie', async () => {
    const { app } = makeApp();
    const res = await login(app, 'nope');
    expect(res.status).toBe(401);
    expect(cookiesOf(res).has('test_session')).toBe(false);
    expect(await res.text()).toContain('Unknown token');
  });

  it('login without the login CSRF cookie, or from another origin, is refused', async () => {
    const { app } = makeApp();
    const noCookie = await app.request(`${ORIGIN}/console/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'token=op-token&_login_csrf=00',
    });
    expect(noCookie.status).toBe(403);
    expect(cookiesOf(noCookie).has('test_session')).toBe(false);
    const form = await app.request(`${ORIGIN}/console/login`);
    const lc = cookiesOf(form).get('test_session_login')?.value ?? '';
    const cross = await post(
      app,
      '/console/login',
      `test_session_login=${lc}`,
      { token: 'op-token', _login_csrf: lc },
      'http://evil.test'
    );
    expect(cross.status).toBe(403);
  });

  it('keeps next inside the console (no open redirect)', async () => {
    const { app } = makeApp();
    expect((await login(app, 'op-token', { next: '/console/log' })).headers.get('location')).toBe(
      '/console/log'
    );
    expect((await login(app, 'op-token', { next: '//evil.test/x' })).headers.get('location')).toBe(
      '/console/jobs'
    );
    expect(
      (await login(app, 'op-token', { next: 'https://evil.test/' })).headers.get('location')
    ).toBe('/console/jobs');
  });

  it('a page without a session redirects to login with next; a forged or expired cookie counts as none', async () => {
    const { app, codec } = makeApp();
    const res = await app.request(`${ORIGIN}/console/jobs`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fjobs');
    const other = createSessionCodec().issue('operator').cookieValue;
    expect(
      (
        await app.request(`${ORIGIN}/console/jobs`, {
          headers: { cookie: `test_session=${other}` },
        })
      ).status
    ).toBe(303);
    const expired = codec.issue('operator', Date.now() - 9 * 3600 * 1000).cookieValue;
    expect(
      (
        await app.request(`${ORIGIN}/console/jobs`, {
          headers: { cookie: `test_session=${expired}` },
        })
      ).status
    ).toBe(303);
    const good = codec.issue('operator').cookieValue;
    expect(
      (await app.request(`${ORIGIN}/console/jobs`, { headers: { cookie: `test_session=${good}` } }))
        .status
    ).toBe(200);
  });

  it('logout revokes the session even though the cookie is still unexpired', async () => {
    const { app } = makeApp();
    const s = await session(app, 'op-token');
    expect((await post(app, '/console/logout', s.cookie, { _csrf: s.csrf })).status).toBe(303);
    expect(
      (await app.request(`${ORIGIN}/console/jobs`, { headers: { cookie: s.cookie } })).status
    ).toBe(303);
  });
});

describe('console kit: roles and CSRF', () => {
  it('an auditor gets 403 on an operator page and on an operator form, and the action never runs', async () => {
    const { app, actions } = makeApp();
    const s = await session(app, 'au-token');
    const page = await app.request(`${ORIGIN}/console/jobs`, { headers: { cookie: s.cookie } });
    expect(page.status).toBe(403);
    expect(await page.text()).toContain('needs the operator role; you are logged in as auditor');
    expect((await post(app, '/console/jobs', s.cookie, { _csrf: s.csrf })).status).toBe(403);
    expect(actions).toEqual([]);
  });

  it('an operator form without, with a wrong, or with a cross-origin CSRF token is 403; with it, the action runs once', async () => {
    const { app, actions } = makeApp();
    const s = await session(app, 'op-token');
    expect((await post(app, '/console/jobs', s.cookie, {})).status).toBe(403);
    expect((await post(app, '/console/jobs', s.cookie, { _csrf: 'f'.repeat(64) })).status).toBe(
      403
    );
    expect(
      (await post(app, '/console/jobs', s.cookie, { _csrf: s.csrf }, 'http://evil.test')).status
    ).toBe(403);
    expect(actions).toEqual([]);
    expect((await post(app, '/console/jobs', s.cookie, { _csrf: s.csrf })).status).toBe(303);
    expect(actions).toEqual(['created']);
  });

  it('pages carry a script-free CSP and escape their values', async () => {
    const { app } = makeApp();
    const s = await session(app, 'op-token');
    const res = await app.request(`${ORIGIN}/console/jobs`, { headers: { cookie: s.cookie } });
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).not.toContain('script-src');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    const html = await res.text();
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('<h1>Jobs &lt;b&gt;</h1>');
    expect(html).toContain('aria-current="page"');
    expect(
      (await app.request(`${ORIGIN}/console/assets/console.css`)).headers.get('content-type')
    ).toContain('text/css');
  });
});
