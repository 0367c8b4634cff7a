import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { runCli as cli } from '../_testing/run-cli.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import {
  auditNode,
  renderAuditHtml,
  spendChartSvg,
  toolVersion,
  writeFileAtomic,
  type AuditReport,
} from './index.ts';

let root: string;
let dir: string;
let db: Database.Database;
const XSS = '<script>alert("x")</script>';

useTempNode('audit-export-', 'node-x', (t) => ({ root, dir, db } = t));
beforeEach(() => {
  const at = new Date('2026-03-02T10:00:00.000Z');
  appendLedgerEntry(db, {
    type: 'job_accepted',
    body: {
      jobId: 'm-1',
      round: 0,
      kind: 'segment_stats',
      purpose: 'marketing',
      epsilonMicro: 1_500_000,
    },
    at,
  });
  appendLedgerEntry(db, {
    type: 'release',
    body: { jobId: 'm-1', round: 0, kind: 'segment_stats', epsilonMicro: 1_500_000 },
    at,
  });
  appendLedgerEntry(db, {
    type: 'job_refused',
    body: { jobId: 'm-2', round: 0, kind: 'segment_stats', reason: `too small ${XSS}` },
    at,
  });
});

/** Nothing in the page can run or fetch: no script element, handler attribute or URL. */
function expectInert(html: string): void {
  expect(html).not.toMatch(/<script/i);
  expect(html).not.toMatch(/\son[a-z]+\s*=/i);
  expect(html).not.toMatch(/https?:|\/\/[a-z]|url\(|@import|\ssrc=|\shref=/i);
}

describe('audit export: HTML', () => {
  it('escapes every string from the node: a node name and a refusal reason carrying <script>', async () => {
    const report = await auditNode({ dir, db, at: new Date('2026-03-03T00:00:00.000Z') });
    const html = renderAuditHtml(
      { ...report, node: `evil${XSS}` },
      { generatedAt: new Date('2026-03-04T05:06:07.000Z'), toolVersion: '9.9.9' }
    );
    expectInert(html);
    expect(html).toContain(
      '<h1>Audit report: node evil&#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</h1>'
    );
    expect(html).toContain(
      '<td>too small &#60;script&#62;alert(&#34;x&#34;)&#60;/script&#62;</td>'
    );
    expect(html).toContain('Generated 2026-03-04T05:06:07.000Z by fedmark 9.9.9');
  });

  it('puts the verdict and first failure at the top, then checks, ledger head and the spend chart', async () => {
    // marketing's default cap is 2 epsilon a month; a second release of 1.5 takes March over it.
    const at = new Date('2026-03-20T10:00:00.000Z');
    appendLedgerEntry(db, {
      type: 'job_accepted',
      body: {
        jobId: 'm-3',
        round: 0,
        kind: 'segment_stats',
        purpose: 'marketing',
        epsilonMicro: 1_500_000,
      },
      at,
    });
    const over = appendLedgerEntry(db, {
      type: 'release',
      body: { jobId: 'm-3', round: 0, kind: 'segment_stats', epsilonMicro: 1_500_000 },
      at,
    }).seq;
    const report = await auditNode({ dir, db, at: new Date('2026-03-21T00:00:00.000Z') });
    const html = renderAuditHtml(report, { generatedAt: new Date(), toolVersion: toolVersion() });
    expectInert(html);
    const verdict = html.indexOf('<span class="verdict fail">FAILED</span>');
    const first = html.indexOf(
      `<b>First failure</b>: entry seq ${over}, caught by check <code>budget</code>`
    );
    expect(verdict).toBeGreaterThan(0);
    expect(first).toBeGreaterThan(verdict);
    expect(html.indexOf('<h2>Checks</h2>')).toBeGreaterThan(first);
    expect(html).toContain('<code>erasure_honoured</code>');
    expect(html).toContain(`<code>${report.merkleRoot}</code>`);
    expect(html).toContain('aria-label="marketing: epsilon spent per month vs cap"');
    expect(html).toContain('<td class="bad">over cap from entry');
  });

  it('charts one bar per period with the cap as a dashed line; an over-cap bar is red', () => {
    const svg = spendChartSvg('t', [
      {
        period: 'month',
        periodKey: '2026-01',
        capEpsilon: 2,
        spentEpsilon: 1,
        spentRho: 0.5,
        releases: 1,
        overCap: false,
        resetInPeriod: false,
        firstOverCapSeq: null,
      },
      {
        period: 'month',
        periodKey: '2026-02',
        capEpsilon: 2,
        spentEpsilon: 3,
        spentRho: 0,
        releases: 2,
        overCap: true,
        resetInPeriod: false,
        firstOverCapSeq: 5,
      },
    ]);
    expect(svg.match(/<rect class="bar/g)?.length).toBe(2);
    expect(svg).toMatch(/<rect class="bar" [^>]*><title>2026-01: 1<\/title>/);
    expect(svg).toMatch(/<rect class="bar over" [^>]*><title>2026-02: 3<\/title>/);
    expect(svg).toContain('class="cap-line"');
    expect(svg).toContain('>cap 2</text>');
  });
});

describe('fedmark audit export', () => {
  it('writes the HTML and JSON reports; exit 0 when the audit passes, 13 (and still a report) when it fails', async () => {
    const out = join(root, 'report.html');
    const jsonOut = join(root, 'report.json');
    const ok = await cli('audit', 'export', '--node-dir', dir, '--out', out, '--json-out', jsonOut);
    expect(ok.code).toBe(0);
    expect(ok.out).toBe(`Audit of node node-x: PASSED; report written to ${out} and ${jsonOut}\n`);
    expect(readFileSync(out, 'utf8')).toContain('<span class="verdict pass">PASSED</span>');
    const json = JSON.parse(readFileSync(jsonOut, 'utf8')) as {
      toolVersion: string;
      report: AuditReport;
    };
    expect(json.toolVersion).toBe(toolVersion());
    expect(json.report.ok).toBe(true);
    expect(json.report.compliance.refused[0]?.reason).toBe(`too small ${XSS}`);

    db.exec('DROP TRIGGER ledger_no_update');
    db.prepare('UPDATE ledger SET body = ? WHERE seq = 1').run(
      '{"jobId":"m-1","round":0,"kind":"segment_stats","epsilonMicro":1}'
    );
    const bad = await cli('audit', 'export', '--node-dir', dir, '--out', out);
    expect(bad.code).toBe(13);
    expect(bad.err).toMatch(
      /^fedmark: ledger verification failed at entry seq 1: .*\(check chain\)\n$/
    );
    expect(readFileSync(out, 'utf8')).toContain(
      '<b>First failure</b>: entry seq 1, caught by check <code>chain</code>'
    );
  });

  it('writes atomically: a failed write leaves the target as it was and no temporary file', async () => {
    const target = join(root, 'taken');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'kept');
    const r = await cli('audit', 'export', '--node-dir', dir, '--out', target);
    expect(r.code).toBe(1);
    expect(r.err).toContain('could not write the report');
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('kept');
    expect(readdirSync(root).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    const file = join(root, 'plain.html');
    writeFileAtomic(file, 'one');
    writeFileAtomic(file, 'two');
    expect(readFileSync(file, 'utf8')).toBe('two');
    expect(() => writeFileAtomic(join(root, 'missing-dir', 'x.html'), 'z')).toThrow(/ENOENT/);
    expect(existsSync(join(root, 'missing-dir'))).toBe(false);
  });
});
