import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from '../api/app.ts';
import { generateApiTokens } from '../api/tokens.ts';
import { appendLedgerEntry, ledgerSize } from '../ledger/index.ts';
import { session, tableRows } from './_test-session.ts';
import { LEDGER_PAGE_SIZE, queryLedgerPage } from './ledger-query.ts';
import { parseFormTime } from './ledger-page.tsx';

let node: TempNode;
let dir: string;
let db: Database.Database;
let first = 0;
const SUBJECT_A = `aa${'0'.repeat(62)}`;
const SUBJECT_B = `ab${'1'.repeat(62)}`;

beforeAll(async () => {
  node = await createTempNode('node-console-paging-', 'paging-node');
  ({ dir, db } = node);
  first = ledgerSize(db);
  // 120 entries, one a minute from 2026-01-01T00:00Z: every third a refusal, subjects alternate.
  for (let i = 0; i < 120; i++) {
    appendLedgerEntry(db, {
      type: i % 3 === 0 ? 'job_refused' : 'job_accepted',
      subject: i % 2 === 0 ? SUBJECT_A : SUBJECT_B,
      body: { jobId: `j-${i}`, round: 0 },
      at: new Date(Date.UTC(2026, 0, 1, 0, i)),
    });
  }
});

afterAll(() => removeTempNode(node));

describe('queryLedgerPage', () => {
  it('pages newest first by seq and links newer/older without gaps or overlaps', () => {
    const size = ledgerSize(db);
    const p1 = queryLedgerPage(db, {}, null);
    expect(p1.entries.map((e) => e.seq)).toEqual(
      [...Array(LEDGER_PAGE_SIZE).keys()].map((k) => size - 1 - k)
    );
    expect(p1.newerAfter).toBeNull();
    expect(p1.olderBefore).toBe(size - LEDGER_PAGE_SIZE);
    const seen: number[] = [];
    let cursor: { before: number } | null = null;
    for (;;) {
      const page = queryLedgerPage(db, {}, cursor);
      seen.push(...page.entries.map((e) => e.seq));
      if (page.olderBefore === null) break;
      cursor = { before: page.olderBefore };
    }
    expect(seen).toEqual([...Array(size).keys()].reverse());
    const p2 = queryLedgerPage(db, {}, { before: p1.olderBefore as number });
    expect(p2.newerAfter).toBe((p1.olderBefore as number) - 1);
    const back = queryLedgerPage(db, {}, { after: p2.newerAfter as number });
    expect(back.entries.map((e) => e.seq)).toEqual(p1.entries.map((e) => e.seq));
    expect(back.newerAfter).toBeNull();
  });

  it('combines type, time range and pseudonym prefix filters', () => {
    const page = queryLedgerPage(
      db,
      {
        type: 'job_refused',
        fromIso: '2026-01-01T00:30:00.000Z',
        toIso: '2026-01-01T01:00:00.000Z',
        pseudonymPrefix: 'aa',
      },
      null
    );
    // Minutes 30..59 divisible by 3 (refusals) and even (subject A): 30, 36, 42, 48, 54.
    expect(page.entries.map((e) => e.body['jobId'])).toEqual([
      'j-54',
      'j-48',
      'j-42',
      'j-36',
      'j-30',
    ]);
    expect(page.entries.every((e) => e.seq >= first)).toBe(true);
    expect(queryLedgerPage(db, { pseudonymPrefix: SUBJECT_B }, null, 1000).entries.length).toBe(60);
    expect(queryLedgerPage(db, { pseudonymPrefix: 'b' }, null).entries).toEqual([]);
  });

  it('refuses a malformed prefix, type or page size with a labelled error', () => {
    expect(() => queryLedgerPage(db, { pseudonymPrefix: "a' OR 1=1 --" }, null)).toThrow(
      /"pseudonymPrefix" expected 1-64 lower-case hex/
    );
    expect(() => queryLedgerPage(db, { type: 'nope' as 'release' }, null)).toThrow(TypeError);
    expect(() => queryLedgerPage(db, {}, null, 0)).toThrow(RangeError);
  });

  it('parseFormTime reads datetime-local values and bare dates as UTC, and rejects anything else', () => {
    expect(parseFormTime('2026-03-02T10:00')).toBe('2026-03-02T10:00:00.000Z');
    expect(parseFormTime('2026-03-02T10:00:05')).toBe('2026-03-02T10:00:05.000Z');
    expect(parseFormTime('2026-03-02')).toBe('2026-03-02T00:00:00.000Z');
    expect(parseFormTime('2026-13-02T10:00')).toBeNull();
    expect(parseFormTime('yesterday')).toBeNull();
  });
});

describe('ledger browser paging over HTTP', () => {
  it('"Older" and "Newer" links keep the filters and walk the pages', async () => {
    const tokens = generateApiTokens();
    const app = createNodeApp({ dir, db, identity: node.identity, tokens });
    const s = await session(app, tokens[1]?.token ?? '');
    const html1 = await (await s.get('/console/ledger?type=job_accepted')).text();
    const rows1 = tableRows(html1, 'ledger-table');
    expect(rows1.length).toBe(LEDGER_PAGE_SIZE);
    expect(rows1.every((r) => r[2] === 'job_accepted')).toBe(true);
    expect(html1).not.toContain('data-testid="ledger-newer"');
    const older =
      /href="([^"]+)" data-testid="ledger-older"/.exec(html1)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(older).toBe(`/console/ledger?type=job_accepted&before=${rows1.at(-1)?.[0]}`);
    const html2 = await (await s.get(older)).text();
    const rows2 = tableRows(html2, 'ledger-table');
    // 80 accepted jobs in all: 50 on the first page, 30 on the second.
    expect(rows2.length).toBe(30);
    expect(Number(rows2[0]?.[0])).toBeLessThan(Number(rows1.at(-1)?.[0]));
    expect(html2).not.toContain('data-testid="ledger-older"');
    const newer =
      /href="([^"]+)" data-testid="ledger-newer"/.exec(html2)?.[1]?.replaceAll('&amp;', '&') ?? '';
    expect(tableRows(await (await s.get(newer)).text(), 'ledger-table')).toEqual(rows1);
  });
});
