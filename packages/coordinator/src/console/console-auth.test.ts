import { describe, expect, it } from 'vitest';
import {
  AUDITOR_TOKEN,
  OPERATOR_TOKEN,
  fakeSealBlob,
  federation,
  harness,
  json,
  makeRefusal,
  specHashOf,
  testNode,
  type Harness,
} from '../_testing.ts';
import { setupRound } from '../jobs/_secagg-testing.ts';
import { COOKIE, ORIGIN, cookiesOf, login, session } from './_console-testing.ts';

const nodes = [testNode('n1', 11), testNode('n2', 12), testNode('n3', 13)];

async function withEpoch(): Promise<Harness> {
  const h = harness();
  await federation(h, nodes, fakeSealBlob(100));
  return h;
}

const CREATE = { template: 'lifecycle', name: 'spring check', action: 'create' };

describe('coordinator console: login', () => {
  it('logs the operator in with a HttpOnly, SameSite=Strict session cookie scoped to /console that does not hold the token', async () => {
    const h = harness();
    const res = await login(h.coordinator.app, OPERATOR_TOKEN);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/jobs');
    const c = cookiesOf(res).get(COOKIE);
    expect(c?.attrs).toMatch(/HttpOnly/);
    expect(c?.attrs).toMatch(/SameSite=Strict/);
    expect(c?.attrs).toMatch(/Path=\/console(;|$)/);
    expect(c?.value).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(c?.value).not.toContain(OPERATOR_TOKEN);
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    const jobs = await b.get('/console/jobs');
    expect(jobs.status).toBe(200);
    expect(jobs.html).toContain('<title>Jobs · fedmark coordinator</title>');
    expect(jobs.html).toContain('No jobs yet.');
  });

  it('refuses an unknown or empty token with 401 and no cookie; pages without a session go to the login form', async () => {
    const h = harness();
    for (const token of ['not-the-token', `${OPERATOR_TOKEN}x`, ' ']) {
      const res = await login(h.coordinator.app, token);
      expect(res.status).toBe(401);
      expect(cookiesOf(res).has(COOKIE)).toBe(false);
      expect(await res.text()).toContain('Unknown token');
    }
    const page = await h.coordinator.app.request(`${ORIGIN}/console/nodes`);
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fnodes');
    const root = await h.coordinator.app.request(`${ORIGIN}/console`);
    expect(root.status).toBe(303);
    expect(root.headers.get('location')).toBe('/console/login');
  });
});

describe('coordinator console: the auditor role', () => {
  it('lands on Transparency, sees only it in the navigation, and gets 403 on every operator page', async () => {
    const h = await withEpoch();
    const { jobId } = await json(
      await h.op('POST', '/v1/jobs', {
        version: 1,
        kind: 'segment_stats',
        name: 'j',
        minNodes: 3,
        query: {
          version: 1,
          kind: 'segment_stats',
          purpose: 'analytics',
          asOf: '2026-01-01',
          epsilon: 1,
        },
      })
    );
    expect((await login(h.coordinator.app, AUDITOR_TOKEN)).headers.get('location')).toBe(
      '/console/transparency'
    );
    const b = await session(h.coordinator.app, AUDITOR_TOKEN);
    const t = await b.get('/console/transparency');
    expect(t.status).toBe(200);
    expect(t.html).toContain('<h1>Transparency log</h1>');
    expect(t.html).toContain('role <strong data-testid="session-role">auditor</strong>');
    const nav = /<nav aria-label="main">([\s\S]*?)<\/nav>/.exec(t.html)?.[1] ?? '';
    expect([...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1])).toEqual([
      '/console/transparency',
    ]);
    expect((await b.get('/console/transparency/nodes/n1')).status).toBe(200);
    for (const path of [
      '/console/nodes',
      '/console/jobs',
      '/console/jobs/new',
      `/console/jobs/${jobId}`,
      `/console/jobs/${jobId}/result`,
      '/console/results',
    ]) {
      const res = await b.get(path);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.html).toContain(
        'This page needs the operator role; you are logged in as auditor.'
      );
      expect(res.html).not.toContain('data-testid="job-state"');
    }
  });

  it('gets 403 on the job-creation POST, with a valid CSRF token, and nothing is created', async () => {
    const h = await withEpoch();
    const b = await session(h.coordinator.app, AUDITOR_TOKEN);
    expect(b.csrf).toMatch(/^[0-9a-f]{64}$/);
    for (const action of ['create', 'create-json', 'preview']) {
      const res = await b.post('/console/jobs/new', { ...CREATE, action, spec: '{}' });
      expect(res.status).toBe(403);
    }
    expect(h.store.jobs.listJobs()).toEqual([]);
  });
});

describe('coordinator console: CSRF on job creation', () => {
  it('refuses a missing, wrong or cross-site CSRF token with 403 and creates nothing; the right one creates the job and redirects (303) to it', async () => {
    const h = await withEpoch();
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    const missing = await b.post('/console/jobs/new', CREATE, { csrf: false });
    expect(missing.status).toBe(403);
    expect(missing.html).toContain('missing its security token');
    expect(
      (await b.post('/console/jobs/new', { ...CREATE, _csrf: 'ab'.repeat(32) }, { csrf: false }))
        .status
    ).toBe(403);
    expect((await b.post('/console/jobs/new', CREATE, { origin: 'http://evil.test' })).status).toBe(
      403
    );
    // Another session's token does not work either: tokens are bound to the session.
    const other = await session(h.coordinator.app, OPERATOR_TOKEN);
    expect(
      (await b.post('/console/jobs/new', { ...CREATE, _csrf: other.csrf }, { csrf: false })).status
    ).toBe(403);
    expect(h.store.jobs.listJobs()).toEqual([]);

    const ok = await b.post('/console/jobs/new', CREATE);
    expect(ok.status).toBe(303);
    const jobs = h.store.jobs.listJobs();
    expect(jobs.map((j) => j.name)).toEqual(['spring check']);
    expect(ok.res.headers.get('location')).toBe(`/console/jobs/${jobs[0]?.id}`);
    expect(jobs[0]?.spec).toMatchObject({
      kind: 'segment_stats',
      minNodes: 3,
      query: { epsilon: 1, purpose: 'analytics' },
    });
  });

  it('logging out needs the CSRF token and revokes the session', async () => {
    const h = harness();
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    expect((await b.post('/console/logout', {}, { csrf: false })).status).toBe(403);
    expect((await b.get('/console/jobs')).status).toBe(200);
    expect((await b.post('/console/logout', {})).status).toBe(303);
    expect((await b.get('/console/jobs')).status).toBe(303);
  });
});

describe('coordinator console: security headers and escaping', () => {
  it('serves every page with a CSP that forbids scripts, and no page has a script element', async () => {
    const h = await withEpoch();
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    for (const path of [
      '/console/nodes',
      '/console/jobs',
      '/console/jobs/new',
      '/console/results',
      '/console/transparency',
      '/console/login',
      '/console/nope',
    ]) {
      const res = await b.get(path);
      expect(res.res.headers.get('content-security-policy')).toBe(
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
      );
      expect(res.res.headers.get('x-frame-options')).toBe('DENY');
      // Not no-referrer: under it Chromium sends `Origin: null` and the same-origin check fails.
      expect(res.res.headers.get('referrer-policy')).toBe('same-origin');
      expect(res.res.headers.get('cache-control')).toBe('no-store');
      expect(res.html.toLowerCase()).not.toContain('<script');
    }
    const missing = await b.get('/console/nope');
    expect(missing.status).toBe(404);
    expect(missing.html).toContain('There is no console page at /console/nope.');
    const unknownJob = await b.get('/console/jobs/j-0000000000000000');
    expect(unknownJob.status).toBe(404);
    expect(unknownJob.html).toContain('no job j-0000000000000000');
  });

  it('renders a job name, a node name and a refusal reason holding markup as inert text', async () => {
    const h = await withEpoch();
    const evil = '<script>alert(1)</script>';
    const created = await h.op('POST', '/v1/jobs', {
      version: 1,
      kind: 'segment_stats',
      name: evil,
      minNodes: 3,
      query: {
        version: 1,
        kind: 'segment_stats',
        purpose: 'analytics',
        asOf: '2026-01-01',
        epsilon: 1,
      },
    });
    const { jobId } = await json(created);
    await setupRound(h, nodes, jobId, 0);
    const reason = '<img src=x onerror="alert(2)"> policy';
    expect(
      (
        await h.node(
          nodes[0]!,
          'POST',
          `/v1/node/jobs/${jobId}/rounds/0/refusal`,
          makeRefusal(nodes[0]!, { jobId, round: 0, specHash: specHashOf(h, jobId, 0) }, reason)
        )
      ).status
    ).toBe(200);
    // Node names are validated at admission; a name stored by any other path must still be inert.
    h.store.nodes.insert({
      name: '<script>alert(3)</script>',
      signingKey: 'ab'.repeat(32),
      boxKey: 'cd'.repeat(32),
      admittedAt: '2026-03-01T12:00:00.000Z',
    });
    const b = await session(h.coordinator.app, OPERATOR_TOKEN);
    for (const path of [
      '/console/jobs',
      `/console/jobs/${jobId}`,
      `/console/jobs/${jobId}/result`,
      '/console/nodes',
      '/console/transparency',
    ]) {
      const page = await b.get(path);
      expect(page.status).toBe(200);
      expect(page.html.toLowerCase()).not.toContain('<script');
      expect(page.html).not.toContain('<img');
    }
    expect((await b.get('/console/jobs')).html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect((await b.get(`/console/jobs/${jobId}`)).html).toContain(
      '&lt;img src=x onerror=&quot;alert(2)&quot;&gt; policy'
    );
    expect((await b.get('/console/nodes')).html).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
  });
});
