import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from '../api/app.ts';
import { generateApiTokens, type ApiToken } from '../api/tokens.ts';
import { auditNode } from '../audit/index.ts';
import { grantConsent, revokeConsent } from '../consent/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { appendLedgerEntry, listLedgerCheckpoints } from '../ledger/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { ORIGIN, login, session, tableRows, type TestSession } from './_test-session.ts';

let node: TempNode;
let dir: string;
let db: Database.Database;
let identity: NodeIdentity;
let tokens: ApiToken[];
let app: ReturnType<typeof createNodeApp>;
let admin: TestSession;
let auditor: TestSession;
let erasedPseudonym = '';
let overSeq = 0;
const logged: string[] = [];
const XSS = '<script>alert("x")</script>';

const tokenOf = (role: 'admin' | 'auditor') =>
  (tokens.find((t) => t.role === role) as ApiToken).token;

/** A job accepted for `purpose` and its release, as the release path writes them (audit/compliance.test.ts). */
function release(jobId: string, purpose: string, epsilonMicro: number, at: string): number {
  const when = new Date(at);
  appendLedgerEntry(db, {
    type: 'job_accepted',
    body: { jobId, round: 0, kind: 'segment_stats', purpose, epsilonMicro },
    at: when,
  });
  return appendLedgerEntry(db, {
    type: 'release',
    body: { jobId, round: 0, kind: 'segment_stats', epsilonMicro },
    at: when,
  }).seq;
}

beforeAll(async () => {
  node = await createTempNode('node-console-', 'console-node');
  ({ dir, db, identity } = node);
  for (const id of ['C-1', 'C-2', 'C-3', 'C-4', 'C-5'])
    grantConsent(db, identity, { customerId: id, purpose: 'analytics', source: 'web_form' });
  revokeConsent(db, identity, { customerId: 'C-2', purpose: 'analytics', source: 'email' });
  grantConsent(db, identity, { customerId: 'C-3', purpose: 'marketing', source: 'web_form' });
  appendLedgerEntry(db, {
    type: 'lawful_basis_declared',
    body: {
      purpose: 'model_training',
      basis: 'contract',
      customers: 5,
      newlyCovered: 5,
      fileHash: 'ab'.repeat(32),
    },
  });
  release('a-1', 'analytics', 1_000_000, '2026-02-10T09:00:00.000Z');
  release('m-1', 'marketing', 1_500_000, '2026-03-02T10:00:00.000Z');
  overSeq = release('m-2', 'marketing', 1_000_000, '2026-03-20T10:00:00.000Z');
  appendLedgerEntry(db, {
    type: 'job_refused',
    body: { jobId: 'j-x', round: 0, reason: XSS },
    at: new Date('2026-03-21T00:00:00.000Z'),
  });
  erasedPseudonym = eraseCustomer(db, identity, 'C-4', { reason: 'gdpr_art17_request' }).pseudonym;
  tokens = generateApiTokens();
  app = createNodeApp({ dir, db, identity, tokens, log: (m) => logged.push(m) });
  admin = await session(app, tokenOf('admin'));
  auditor = await session(app, tokenOf('auditor'));
});

afterAll(() => removeTempNode(node));

describe('node console: login and roles', () => {
  it('logs in with the API tokens (own cookie name) and lands on the ledger; a wrong token is 401', async () => {
    const res = await login(app, tokenOf('auditor'));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/ledger');
    expect(res.headers.getSetCookie().join('\n')).toMatch(
      /^fedmark_node_session=[^;]+;.*HttpOnly/m
    );
    expect((await login(app, 'f'.repeat(64))).status).toBe(401);
    const anon = await app.request(`${ORIGIN}/console/verification`);
    expect(anon.status).toBe(303);
    expect(anon.headers.get('location')).toBe('/console/login?next=%2Fconsole%2Fverification');
  });

  it('pages carry the kit headers (Referrer-Policy same-origin, so a browser sends its real Origin on form POSTs)', async () => {
    for (const path of ['/console/login', '/console/ledger', '/console/nope']) {
      const res =
        path === '/console/login' ? await app.request(`${ORIGIN}${path}`) : await auditor.get(path);
      expect(res.headers.get('referrer-policy'), path).toBe('same-origin');
      expect(res.headers.get('content-security-policy'), path).toContain("default-src 'none'");
    }
    expect((await app.request(`${ORIGIN}/console/`)).headers.get('location')).toBe('/console');
  });

  it('an auditor sees only the auditor pages in the navigation; an admin sees all nine', async () => {
    const nav = (html: string) =>
      [
        ...(/<nav aria-label="main">([\s\S]*?)<\/nav>/.exec(html)?.[1] ?? '').matchAll(
          />([A-Za-z]+)<\/a>/g
        ),
      ].map((m) => m[1]);
    expect(nav(await (await auditor.get('/console/ledger')).text())).toEqual([
      'Ledger',
      'Verification',
      'Budgets',
      'Erasures',
      'Decisions',
    ]);
    expect(nav(await (await admin.get('/console/ledger')).text())).toEqual([
      'Ledger',
      'Verification',
      'Budgets',
      'Erasures',
      'Decisions',
      'Policy',
      'Consents',
      'Checkpoints',
      'Members',
    ]);
  });

  it('an auditor gets 403 on every admin page and on the checkpoint action, which then never runs', async () => {
    for (const path of ['/console/policy', '/console/consents', '/console/checkpoints']) {
      const res = await auditor.get(path);
      expect(res.status, path).toBe(403);
      expect(await res.text()).toContain('needs the admin role; you are logged in as auditor');
    }
    const before = listLedgerCheckpoints(db).length;
    const res = await auditor.post('/console/checkpoints', { _csrf: auditor.csrf });
    expect(res.status).toBe(403);
    expect(listLedgerCheckpoints(db).length).toBe(before);
  });

  it('the bearer API is unchanged beside the console, and an unknown console path is an HTML 404', async () => {
    const api = await app.request('/v1/ledger?type=erasure', {
      headers: { authorization: `Bearer ${tokenOf('auditor')}` },
    });
    expect(api.status).toBe(200);
    expect(
      ((await api.json()) as { entries: { subject: string }[] }).entries.map((e) => e.subject)
    ).toEqual([erasedPseudonym]);
    const missing = await auditor.get('/console/nope');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('text/html');
    expect(await missing.text()).toContain('There is no console page /console/nope.');
  });
});

describe('node console: ledger browser', () => {
  it('lists every entry newest first with seq, type, shortened pseudonym (full in title) and hash', async () => {
    const res = await auditor.get('/console/ledger');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<title>Ledger · fedmark node console-node</title>');
    expect(html).toContain('<th class="num" scope="col">Seq</th>');
    const rows = tableRows(html, 'ledger-table');
    const total = db.prepare('SELECT count(*) FROM ledger').pluck().get() as number;
    expect(rows.length).toBe(total);
    expect(rows.map((r) => Number(r[0]))).toEqual([...Array(total).keys()].reverse());
    expect(rows[0]?.[2]).toBe('erasure');
    expect(rows[0]?.[3]).toBe(`${erasedPseudonym.slice(0, 12)}…`);
    expect(html).toContain(
      `<a href="/console/ledger?pseudonym=${erasedPseudonym}"><code title="${erasedPseudonym}">`
    );
    // The customer row, its consent and the consent's source (an erasable private payload).
    expect(rows[0]?.[4]).toBe('rowsDeleted=3; reason=gdpr_art17_request');
  });

  it('the type filter returns only that type, and the select keeps the choice', async () => {
    const html = await (await auditor.get('/console/ledger?type=release')).text();
    const rows = tableRows(html, 'ledger-table');
    expect(rows.map((r) => r[2])).toEqual(['release', 'release', 'release']);
    expect(rows.map((r) => Number(r[0]))[0]).toBe(overSeq);
    expect(html).toContain('<option value="release" selected="">release</option>');
  });

  it('filters by time range (UTC, to exclusive) and by pseudonym prefix', async () => {
    const march = tableRows(
      await (await auditor.get('/console/ledger?from=2026-03-01T00:00&to=2026-03-20T10:00')).text(),
      'ledger-table'
    );
    expect(march.map((r) => r[2])).toEqual(['release', 'job_accepted']);
    // The pseudonym link of a row: every entry about C-4 (its consent grant and its erasure tombstone).
    const bySubject = tableRows(
      await (await auditor.get(`/console/ledger?pseudonym=${erasedPseudonym}`)).text(),
      'ledger-table'
    );
    expect(bySubject.map((r) => r[2])).toEqual(['erasure', 'consent_granted']);
    // A prefix (typed in upper case) finds them too; any other rows it finds share the prefix.
    const prefix = erasedPseudonym.slice(0, 6);
    const byPrefix = tableRows(
      await (await auditor.get(`/console/ledger?pseudonym=${prefix.toUpperCase()}`)).text(),
      'ledger-table'
    );
    expect(
      byPrefix.filter((r) => r[3] === `${erasedPseudonym.slice(0, 12)}…`).map((r) => r[2])
    ).toEqual(['erasure', 'consent_granted']);
    expect(byPrefix.every((r) => r[3]?.startsWith(prefix))).toBe(true);
  });

  it('a filter it cannot apply is a 400 naming the field, and shows nothing rather than everything', async () => {
    const res = await auditor.get('/console/ledger?type=bogus&pseudonym=xyz');
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(html).toContain('Filter not applied: &quot;type&quot;: not a ledger entry type');
    expect(html).toContain(
      'Filter not applied: &quot;pseudonym&quot;: expected the start of a pseudonym'
    );
    expect(tableRows(html, 'ledger-table')).toEqual([]);
    expect(html).toContain('No ledger entries match these filters.');
  });

  it('escapes ledger bodies: a refusal reason holding a script tag is shown as text', async () => {
    const html = await (await auditor.get('/console/ledger?type=job_refused')).text();
    expect(html).not.toContain('<script>');
    expect(html).toContain('reason=&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
  });
});

describe('node console: verification, budgets, erasures', () => {
  it('verification: FAILED at the over-cap release (budget check), the current head, every check, and how long it took', async () => {
    const res = await auditor.get('/console/verification');
    expect(res.status).toBe(200);
    const html = await res.text();
    const report = await auditNode({ dir, db });
    expect(html).toMatch(/data-testid="verify-verdict">FAILED<\/span>/);
    expect(html).toContain(
      `first failing check <strong>budget</strong> at ledger entry <a href="/console/ledger?before=${overSeq + 1}">#${overSeq}</a>`
    );
    expect(html).toContain(`title="${report.merkleRoot}"`);
    const checks = tableRows(html, 'verify-checks');
    expect(checks.map((r) => r[0])).toEqual(report.checks.map((c) => c.check));
    expect(checks.find((r) => r[0] === 'chain')?.[1]).toBe('passed');
    expect(checks.find((r) => r[0] === 'budget')?.slice(1, 3)).toEqual(['failed', `#${overSeq}`]);
    expect(html).toMatch(
      /Recomputed from the ledger rows now, at <time[^>]*>[^<]+<\/time>, in \d+ ms \(\d+ entries\)\. <a href="\/console\/verification\?rerun=1">Verify again<\/a>/
    );
    expect(html).toContain('No checkpoint signed yet');
  });

  it('budgets: one bar chart per rule with the cap line, the over-cap month highlighted, a table and the cumulative line', async () => {
    const html = await (await auditor.get('/console/budgets')).text();
    expect(html).toContain('data-testid="budget-chart"');
    const marketing =
      /<svg[^>]*data-testid="budget-chart-marketing-month"[\s\S]*?<\/svg>/.exec(html)?.[0] ?? '';
    expect(marketing).toContain('cap 2');
    expect(marketing).toContain('class="cap-line"');
    expect(marketing.match(/class="bar over"/g)?.length).toBe(1);
    expect(marketing).toContain('<title>2026-03: 2.5</title>');
    expect(html).toContain(`over cap (from entry #${overSeq})`);
    expect(html).toContain('data-testid="budget-cumulative"');
    expect(html).toContain('days since the first release (2026-02-10)');
    // The node's own accounting now shows both units: epsilon read at delta, and rho.
    const current = tableRows(html, 'budget-current');
    expect(current[0]?.length).toBe(7);
    expect(html).toContain('Spent ρ');
    expect(current.every((r) => r[6] === '1e-7')).toBe(true);
  });

  it('erasures: the log with pseudonym and rows deleted, and the audit erasure check (or that it is not checked)', async () => {
    const html = await (await auditor.get('/console/erasures')).text();
    const rows = tableRows(html, 'erasures-table');
    expect(rows.length).toBe(1);
    expect(rows[0]?.[2]).toBe(`${erasedPseudonym.slice(0, 12)}…`);
    expect(rows[0]?.slice(3)).toEqual(['3', 'gdpr_art17_request']);
    const check = (await auditNode({ dir, db })).checks.find(
      (c) => (c.check as string) === 'erasure_honoured'
    );
    const expected = check === undefined ? 'NOT CHECKED' : check.ok ? 'PASSED' : 'FAILED';
    expect(html).toMatch(new RegExp(`data-testid="erasure-check">${expected}</span>`));
  });
});

describe('node console: admin pages and the checkpoint action', () => {
  it('policy: purposes, k, budgets and noise as in policy.json', async () => {
    const html = await (await admin.get('/console/policy')).text();
    // Suppression happens after noise, on the noisy count (docs/privacy.md "Minimum cohort").
    expect(html).toContain(
      '<span data-testid="policy-k">10: after noise, every cell whose noisy count is under 10 is released as 0 (suppression reads only the noisy release, so it costs no privacy; docs/privacy.md)</span>'
    );
    expect(html).not.toContain('before noise');
    expect(tableRows(html, 'policy-budgets')).toEqual([
      ['analytics', 'month', '4'],
      ['model_training', 'month', '4'],
      ['marketing', 'month', '2'],
    ]);
    expect(html).toContain('always on: discrete Laplace');
  });

  it('consents: in force and revoked per purpose (the erased customer gone), and declared lawful bases', async () => {
    const html = await (await admin.get('/console/consents')).text();
    expect(tableRows(html, 'consents-table')).toEqual([
      ['analytics', '3', '1'],
      ['model_training', '0', '0'],
      ['marketing', '1', '0'],
    ]);
    expect(tableRows(html, 'lawful-bases-table').map((r) => r.slice(2))).toEqual([
      ['model_training', 'contract', '5', '5'],
    ]);
  });

  it('sign a checkpoint: without CSRF 403 and nothing signed; with it, a new checkpoint shown on the page and on verification', async () => {
    const before = listLedgerCheckpoints(db).length;
    expect((await admin.post('/console/checkpoints', {})).status).toBe(403);
    expect((await admin.post('/console/checkpoints', { _csrf: '0'.repeat(64) })).status).toBe(403);
    expect(listLedgerCheckpoints(db).length).toBe(before);
    const res = await admin.post('/console/checkpoints', { _csrf: admin.csrf });
    expect(res.status).toBe(303);
    const after = listLedgerCheckpoints(db);
    expect(after.length).toBe(before + 1);
    const cp = after.at(-1);
    expect(res.headers.get('location')).toBe(`/console/checkpoints?signed=${cp?.id}`);
    const page = await (await admin.get(res.headers.get('location') ?? '')).text();
    expect(page).toContain(
      `Signed checkpoint #${cp?.id} of ${cp?.checkpoint.treeSize} ledger entries.`
    );
    expect(page).toContain(`title="${cp?.checkpoint.rootHash}"`);
    const verification = await (await auditor.get('/console/verification')).text();
    expect(tableRows(verification, 'checkpoints-table')[0]).toEqual([
      String(cp?.id),
      String(cp?.checkpoint.treeSize),
      `${cp?.checkpoint.rootHash.slice(0, 12)}…`,
      expect.any(String),
      'no',
    ]);
    expect(
      tableRows(verification, 'verify-checks').find((r) => r[0] === 'checkpoint_roots')?.[1]
    ).toBe('passed');
  });
});

describe('node console: a clean ledger, then a tampered one', () => {
  it('verification says PASSED, then FAILED with the first bad entry and the check that caught it', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'node-console-tamper-'));
    await initNode({ dir: dir2, name: 'tamper-node' });
    const db2 = openNodeDatabase(dir2);
    try {
      const id2 = loadIdentity(dir2);
      const seqs = ['a', 'b', 'c'].map(
        (j) =>
          appendLedgerEntry(db2, {
            type: 'job_refused',
            body: { jobId: j, round: 0, reason: 'purpose not allowed' },
          }).seq
      );
      const app2 = createNodeApp({
        dir: dir2,
        db: db2,
        identity: id2,
        tokens,
        log: (m) => logged.push(m),
      });
      const s = await session(app2, tokenOf('auditor'));
      expect(await (await s.get('/console/verification')).text()).toMatch(
        /data-testid="verify-verdict">PASSED<\/span> every check passed over \d+ ledger entries/
      );
      const bad = seqs[1] as number;
      db2.exec('DROP TRIGGER ledger_no_update');
      db2
        .prepare('UPDATE ledger SET body = ? WHERE seq = ?')
        .run(JSON.stringify({ jobId: 'b', round: 0, reason: 'rewritten' }), bad);
      // Same size, head and checkpoints: within AUDIT_REUSE_MS the page shows the earlier run, saying when it ran.
      const reused = await (await s.get('/console/verification')).text();
      expect(reused).toContain('Result of the verification run at ');
      expect(reused).toMatch(/data-testid="verify-verdict">PASSED<\/span>/);
      const html = await (await s.get('/console/verification?rerun=1')).text();
      expect(html).toContain('Recomputed from the ledger rows now');
      expect(html).toMatch(/data-testid="verify-verdict">FAILED<\/span>/);
      expect(html).toContain(
        `first failing check <strong>chain</strong> at ledger entry <a href="/console/ledger?before=${bad + 1}">#${bad}</a>`
      );
      // A broken policy file: the page says which file and why (a framed page, not the API's JSON), nothing is logged as a crash.
      writeFileSync(join(dir2, 'policy.json'), '{"minCohort": 1}');
      const broken = await s.get('/console/budgets');
      expect(broken.status).toBe(400);
      expect(broken.headers.get('content-type')).toContain('text/html');
      expect(await broken.text()).toContain(
        `BAD_REQUEST: ${join(dir2, 'policy.json')}: field &quot;minCohort&quot;`
      );
      expect(logged).toEqual([]);
    } finally {
      db2.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('node console: an unexpected failure', () => {
  it('is a framed 500 page that leaks nothing, and the cause goes to the log', async () => {
    const dir3 = mkdtempSync(join(tmpdir(), 'node-console-500-'));
    try {
      await initNode({ dir: dir3, name: 'broken-node' });
      const db3 = openNodeDatabase(dir3);
      const seen: string[] = [];
      const app3 = createNodeApp({
        dir: dir3,
        db: db3,
        identity: loadIdentity(dir3),
        tokens,
        log: (m, e) => seen.push(`${m}: ${e instanceof Error ? e.message : ''}`),
      });
      const s = await session(app3, tokenOf('admin'));
      db3.close();
      const res = await s.get('/console/ledger');
      expect(res.status).toBe(500);
      const html = await res.text();
      expect(html).toContain('The page could not be built. The details are in the node&#39;s log.');
      expect(html).not.toContain('database');
      expect(seen).toEqual(['node console: unhandled error: The database connection is not open']);
    } finally {
      rmSync(dir3, { recursive: true, force: true });
    }
  });
});
