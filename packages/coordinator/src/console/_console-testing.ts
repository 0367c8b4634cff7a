// Internal test helpers for the console (not exported): log in through the real login form,
// keep the session cookie, read the CSRF token from a page, and post forms like a browser.
import type { Hono } from 'hono';

export const ORIGIN = 'http://coord.test';
export const COOKIE = 'fedmark_coordinator_session';

export function cookiesOf(res: Response): Map<string, { value: string; attrs: string }> {
  const out = new Map<string, { value: string; attrs: string }>();
  for (const line of res.headers.getSetCookie()) {
    const [pair = '', ...attrs] = line.split(';');
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i).trim(), { value: pair.slice(i + 1), attrs: attrs.join(';').trim() });
  }
  return out;
}

/** Submits the login form with `token` (fetching the form first for its login CSRF cookie). */
export async function login(app: Hono, token: string): Promise<Response> {
  const form = await app.request(`${ORIGIN}/console/login`);
  const loginCookie = cookiesOf(form).get(`${COOKIE}_login`)?.value ?? '';
  const csrf = /name="_login_csrf" value="([0-9a-f]+)"/.exec(await form.text())?.[1] ?? '';
  return app.request(`${ORIGIN}/console/login`, {
    method: 'POST',
    headers: {
      cookie: `${COOKIE}_login=${loginCookie}`,
      origin: ORIGIN,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({ _login_csrf: csrf, token }).toString(),
  });
}

export interface Browser {
  get(path: string): Promise<{ status: number; html: string; res: Response }>;
  post(
    path: string,
    fields: Record<string, string>,
    opts?: { origin?: string; csrf?: boolean }
  ): Promise<{ status: number; html: string; res: Response }>;
  csrf: string;
}

/** A logged-in "browser": the session cookie, and the CSRF token read from the home page. */
export async function session(app: Hono, token: string): Promise<Browser> {
  const res = await login(app, token);
  if (res.status !== 303) throw new Error(`login failed with ${res.status}`);
  const cookie = `${COOKIE}=${cookiesOf(res).get(COOKIE)?.value ?? ''}`;
  const home = await app.request(`${ORIGIN}${res.headers.get('location') ?? '/console'}`, {
    headers: { cookie },
  });
  const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(await home.text())?.[1] ?? '';
  const wrap = async (r: Response) => ({ status: r.status, html: await r.text(), res: r });
  return {
    csrf,
    get: async (path) => wrap(await app.request(`${ORIGIN}${path}`, { headers: { cookie } })),
    post: async (path, fields, opts = {}) =>
      wrap(
        await app.request(`${ORIGIN}${path}`, {
          method: 'POST',
          headers: {
            cookie,
            origin: opts.origin ?? ORIGIN,
            'content-type': 'application/x-www-form-urlencoded',
          },
          body: new URLSearchParams(
            opts.csrf === false ? fields : { _csrf: csrf, ...fields }
          ).toString(),
        })
      ),
  };
}

/** The text of the element carrying `data-testid="id"` (first match, tags stripped). */
export function testIdText(html: string, id: string): string | undefined {
  const m = new RegExp(`data-testid="${id}"[^>]*>([\\s\\S]*?)</`).exec(html);
  return m?.[1]?.replace(/<[^>]+>/g, '').trim();
}
