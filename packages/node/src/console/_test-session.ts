/**
 * Internal test helper: drives the console's login form in-process (app.request), as a browser
 * would, and returns the session cookie and the page's CSRF token. Mirrors the helpers of the
 * console kit's own tests (protocol/src/console/kit.test.tsx).
 */
export const ORIGIN = 'http://127.0.0.1:7800';
const COOKIE = 'fedmark_node_session';

interface Requester {
  request(input: string, init?: RequestInit): Response | Promise<Response>;
}

export function cookiesOf(res: Response): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of res.headers.getSetCookie()) {
    const pair = line.split(';')[0] ?? '';
    const i = pair.indexOf('=');
    out.set(pair.slice(0, i).trim(), pair.slice(i + 1));
  }
  return out;
}

export async function login(app: Requester, token: string): Promise<Response> {
  const form = await app.request(`${ORIGIN}/console/login`);
  const loginCookie = cookiesOf(form).get(`${COOKIE}_login`) ?? '';
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

export interface TestSession {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string>): Promise<Response>;
}

/** Logs in with `token` and returns helpers that send the session cookie (and Origin on POST). */
export async function session(app: Requester, token: string): Promise<TestSession> {
  const res = await login(app, token);
  if (res.status !== 303) throw new Error(`login failed with status ${res.status}`);
  const cookie = `${COOKIE}=${cookiesOf(res).get(COOKIE) ?? ''}`;
  const home = await app.request(`${ORIGIN}/console/ledger`, { headers: { cookie } });
  const csrf = /name="_csrf" value="([0-9a-f]+)"/.exec(await home.text())?.[1] ?? '';
  const get = async (path: string) => app.request(`${ORIGIN}${path}`, { headers: { cookie } });
  const post = async (path: string, fields: Record<string, string>) =>
    app.request(`${ORIGIN}${path}`, {
      method: 'POST',
      headers: { cookie, origin: ORIGIN, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(fields).toString(),
    });
  return { cookie, csrf, get, post };
}

/** The text content of every <td> of the table with `data-testid`, row by row (tags stripped). */
export function tableRows(html: string, testId: string): string[][] {
  const table = new RegExp(`<table[^>]*data-testid="${testId}"[^>]*>([\\s\\S]*?)</table>`).exec(
    html
  )?.[1];
  if (table === undefined) return [];
  const body = /<tbody>([\s\S]*?)<\/tbody>/.exec(table)?.[1] ?? '';
  return [...body.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((r) =>
    [...(r[1] ?? '').matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((c) =>
      (c[1] ?? '').replace(/<[^>]+>/g, '').trim()
    )
  );
}
