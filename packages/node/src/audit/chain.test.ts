import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { entryHash } from '../ledger/_row.ts';
import { appendLedgerEntry, verifyLedger } from '../ledger/index.ts';
import { ChainVerifier, parseBody } from './chain.ts';
import type { LedgerRowForm } from './source.ts';

let db: Database.Database;
useTempDatabase('audit-chain-', (t) => ({ db } = t));

/** Six entries; seq 1 and 4 carry a private payload behind their commitment. */
function fill(): void {
  for (let i = 0; i < 6; i++) {
    appendLedgerEntry(db, {
      type: 'import',
      body: { file: `f${i}.csv`, rows: i },
      ...(i % 3 === 1 ? { privatePayload: { customerId: `C-${i}` } } : {}),
    });
  }
}

/** The rows as an auditor reads them from a node directory (private payloads included). */
function rows(): LedgerRowForm[] {
  const raw = db
    .prepare(
      `SELECT l.seq, l.type, l.at, l.subject, l.body, l.commitment, l.prev_hash AS prevHash, l.hash, p.salt, p.payload
       FROM ledger l LEFT JOIN ledger_private p ON p.seq = l.seq ORDER BY l.seq`
    )
    .all() as (Omit<LedgerRowForm, 'private'> & {
    salt: Uint8Array | null;
    payload: string | null;
  })[];
  return raw.map(({ salt, payload, ...r }) => ({
    ...r,
    private: salt !== null && payload !== null ? { salt, payload } : null,
  }));
}

/** The node's verdict and the auditor's over the same rows: they must agree exactly. */
function verdicts(): {
  node: ReturnType<typeof verifyLedger>;
  auditor: ReturnType<ChainVerifier['result']>;
} {
  const v = new ChainVerifier();
  for (const r of rows()) v.push(r);
  return { node: verifyLedger(db), auditor: v.result() };
}

function rewrite(sql: string, ...params: unknown[]): void {
  db.exec(
    'DROP TRIGGER IF EXISTS ledger_no_update; DROP TRIGGER IF EXISTS ledger_no_delete; DROP TRIGGER IF EXISTS ledger_private_no_update;'
  );
  db.prepare(sql).run(...params);
}

describe('chain rules shared by verifyLedger and the auditor (ledger/_chain-row.ts)', () => {
  it('agree on an intact chain: size and head', () => {
    fill();
    const { node, auditor } = verdicts();
    expect(node.ok).toBe(true);
    expect(auditor).toEqual(node);
    expect(auditor.size).toBe(6);
  });

  it.each([
    [
      'an edited body',
      () => rewrite('UPDATE ledger SET body = \'{"file":"x.csv","rows":9}\' WHERE seq = 2'),
      2,
      'entry 2 was altered: its content no longer matches its hash',
    ],
    [
      'a missing entry',
      () => rewrite('DELETE FROM ledger WHERE seq = 3'),
      3,
      'entry 3 is missing (next present entry is 4)',
    ],
    [
      'an unknown type',
      () => rewrite("UPDATE ledger SET type = 'forged' WHERE seq = 5"),
      5,
      'unknown entry type "forged"',
    ],
    [
      'a body that is not an object',
      () => rewrite("UPDATE ledger SET body = '[1]' WHERE seq = 0"),
      0,
      'body is not a JSON object',
    ],
    [
      'a swapped private payload',
      () => rewrite(`UPDATE ledger_private SET payload = '{"customerId":"C-99"}' WHERE seq = 4`),
      4,
      'entry 4: private payload does not match its commitment',
    ],
  ])('name the same first bad entry and reason for %s', (_what, tamper, seq, reason) => {
    fill();
    tamper();
    const { node, auditor } = verdicts();
    expect(node).toMatchObject({ ok: false, firstBadSeq: seq, reason });
    expect(auditor).toMatchObject({ ok: false, firstBadSeq: seq, reason });
  });

  it('name the predecessor when an entry was re-hashed after an edit (its successor still links to the old hash)', () => {
    fill();
    const row = rows()[2] as LedgerRowForm;
    const body = { file: 'edited.csv', rows: 2 };
    const hash = entryHash({
      seq: 2,
      type: row.type,
      at: row.at,
      subject: row.subject,
      body,
      commitment: row.commitment,
      prevHash: row.prevHash,
    });
    rewrite('UPDATE ledger SET body = ?, hash = ? WHERE seq = 2', JSON.stringify(body), hash);
    const { node, auditor } = verdicts();
    const reason = 'entry 2 was altered or replaced: entry 3 links to a different hash';
    expect(node).toMatchObject({ ok: false, firstBadSeq: 2, reason });
    expect(auditor).toMatchObject({ ok: false, firstBadSeq: 2, reason });
  });

  it('parseBody accepts only a JSON object', () => {
    expect(parseBody('{"a":1}')).toEqual({ a: 1 });
    expect(parseBody('[1]')).toBeNull();
    expect(parseBody('null')).toBeNull();
    expect(parseBody('{')).toBeNull();
  });
});
