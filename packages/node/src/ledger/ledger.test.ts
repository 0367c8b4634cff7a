import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import {
  GENESIS_HASH,
  LedgerEntrySchema,
  canonicalBytes,
  canonicalHash,
  sha256Hex,
} from '@fedmark/protocol';
import { useTempDatabase } from '../_testing/temp-node.ts';
import {
  appendLedgerEntries,
  appendLedgerEntry,
  ledgerEntryLeafBytes,
  ledgerSize,
  listLedger,
  verifyLedger,
} from './index.ts';

const SUBJECT = 'ab'.repeat(32);
let db: Database.Database;
useTempDatabase('ledger-', (t) => ({ db } = t));

function fill(n: number): void {
  db.transaction(() => {
    for (let i = 0; i < n; i++) {
      appendLedgerEntry(db, {
        type: i % 2 ? 'consent_granted' : 'import',
        body: { i, note: `entry ${i}`, eps: 0.25 },
        subject: i % 2 ? SUBJECT : null,
        privatePayload: i % 3 === 0 ? { customerId: `C-${i}` } : undefined,
        at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
      });
    }
  })();
}

function tamper(sql: string): void {
  db.exec('DROP TRIGGER ledger_no_update; DROP TRIGGER ledger_no_delete;');
  db.exec(sql);
}

describe('appendLedgerEntry', () => {
  it('implements the protocol hash rule and chains entries', () => {
    const e0 = appendLedgerEntry(db, {
      type: 'policy_change',
      body: { minCohort: 20 },
      at: new Date('2025-01-01T00:00:00Z'),
    });
    const e1 = appendLedgerEntry(db, {
      type: 'erasure',
      body: { rowsDeleted: 3 },
      subject: SUBJECT,
    });
    expect(e0.seq).toBe(0);
    expect(e0.prevHash).toBe(GENESIS_HASH);
    expect(e0.at).toBe('2025-01-01T00:00:00.000Z');
    expect(e0.hash).toBe(
      canonicalHash('ledger-entry', {
        seq: 0,
        type: 'policy_change',
        at: '2025-01-01T00:00:00.000Z',
        subject: null,
        body: { minCohort: 20 },
        commitment: null,
        prevHash: GENESIS_HASH,
      })
    );
    expect(e1.seq).toBe(1);
    expect(e1.prevHash).toBe(e0.hash);
    expect(LedgerEntrySchema.parse(e1)).toEqual(e1);
    expect(ledgerSize(db)).toBe(2);
    expect(listLedger(db)).toEqual([e0, e1]);
  });

  it('commits to the private payload with a salted hash kept in the side table', () => {
    const e = appendLedgerEntry(db, {
      type: 'consent_granted',
      body: { purpose: 'analytics' },
      subject: SUBJECT,
      privatePayload: { customerId: 'C-9' },
    });
    const row = db.prepare('SELECT salt, payload FROM ledger_private WHERE seq = ?').get(e.seq) as {
      salt: Buffer;
      payload: string;
    };
    expect(row.salt.length).toBe(32);
    expect(JSON.parse(row.payload)).toEqual({ customerId: 'C-9' });
    const bytes = canonicalBytes('ledger-private', { customerId: 'C-9' });
    const joined = new Uint8Array(32 + bytes.length);
    joined.set(row.salt);
    joined.set(bytes, 32);
    expect(e.commitment).toBe(sha256Hex(joined));
    // The entry itself never carries the payload.
    expect(JSON.stringify(listLedger(db))).not.toContain('C-9');
  });

  it('refuses raw ids as subject, non-JSON bodies and unknown types', () => {
    expect(() =>
      appendLedgerEntry(db, { type: 'erasure', body: {}, subject: 'CUSTOMER-42' })
    ).toThrow(TypeError);
    expect(() => appendLedgerEntry(db, { type: 'release', body: { n: 1n } })).toThrow(TypeError);
    expect(() => appendLedgerEntry(db, { type: 'release', body: { n: Number.NaN } })).toThrow(
      RangeError
    );
    expect(() => appendLedgerEntry(db, { type: 'nope' as 'release', body: {} })).toThrow(TypeError);
    expect(ledgerSize(db)).toBe(0);
  });

  it('is append-only: triggers abort UPDATE and DELETE', () => {
    fill(3);
    expect(() => db.exec("UPDATE ledger SET body = '{}' WHERE seq = 1")).toThrow(/append-only/);
    expect(() => db.exec('DELETE FROM ledger WHERE seq = 2')).toThrow(/append-only/);
    expect(verifyLedger(db).ok).toBe(true);
  });

  it('rolls back with the caller transaction', () => {
    fill(2);
    expect(() =>
      db.transaction(() => {
        appendLedgerEntry(db, { type: 'release', body: { eps: 1 } });
        throw new Error('charge failed');
      })()
    ).toThrow('charge failed');
    expect(ledgerSize(db)).toBe(2);
  });

  it('lists with filters and produces leaf bytes that include the hash', () => {
    fill(10);
    expect(listLedger(db, { fromSeq: 4, limit: 3 }).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(listLedger(db, { type: 'import' }).map((e) => e.seq)).toEqual([0, 2, 4, 6, 8]);
    expect(listLedger(db, { subject: SUBJECT }).length).toBe(5);
    const e = listLedger(db, { fromSeq: 3, limit: 1 })[0]!;
    const leaf = ledgerEntryLeafBytes(e);
    expect(Buffer.from(leaf).includes(Buffer.from(e.hash))).toBe(true);
    expect(leaf).toEqual(
      canonicalBytes('ledger-leaf', { ...e, body: { i: 3, note: 'entry 3', eps: 0.25 } })
    );
  });
});

describe('appendLedgerEntries', () => {
  const entry = (i: number) => ({
    type: 'consent_granted' as const,
    body: { i },
    subject: SUBJECT,
    privatePayload: { source: `clerk ${i}` },
    at: new Date(Date.UTC(2025, 0, 1, 0, 0, i)),
  });

  it('chains a batch after the head exactly as one append at a time would', () => {
    appendLedgerEntry(db, { type: 'import', body: { first: true } });
    const batch = appendLedgerEntries(db, [0, 1, 2].map(entry));
    expect(batch.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(batch[0]?.prevHash).toBe(listLedger(db)[0]?.hash);
    expect(batch[2]?.prevHash).toBe(batch[1]?.hash);
    expect(listLedger(db).slice(1)).toEqual(batch);
    expect(verifyLedger(db).ok).toBe(true);
  });

  it('writes nothing when any entry of the batch is bad', () => {
    appendLedgerEntry(db, { type: 'import', body: {} });
    const bad = { ...entry(1), subject: 'C-1' };
    expect(() => appendLedgerEntries(db, [entry(0), bad, entry(2)])).toThrow(/pseudonym/);
    expect(ledgerSize(db)).toBe(1);
  });

  it('salts every private payload with its own 32 random bytes, across pool refills', () => {
    appendLedgerEntries(
      db,
      Array.from({ length: 600 }, (_, i) => entry(i))
    );
    const salts = db.prepare('SELECT hex(salt) FROM ledger_private').pluck().all() as string[];
    expect(salts).toHaveLength(600);
    expect(new Set(salts).size).toBe(600);
    expect(salts.every((h) => h.length === 64 && h !== '0'.repeat(64))).toBe(true);
  });
});

describe('verifyLedger', () => {
  it('accepts an intact chain and reports size and head', () => {
    fill(25);
    const progress: number[] = [];
    const r = verifyLedger(db, { onProgress: (d) => progress.push(d) });
    expect(r).toEqual({ ok: true, size: 25, head: listLedger(db, { fromSeq: 24 })[0]!.hash });
    expect(progress.at(-1)).toBe(25);
  });

  it('accepts an empty ledger', () => {
    expect(verifyLedger(db)).toEqual({ ok: true, size: 0, head: GENESIS_HASH });
  });

  it('detects an edited body', () => {
    fill(10);
    tamper(`UPDATE ledger SET body = '{"i":7,"note":"entry 7","eps":0.5}' WHERE seq = 7`);
    expect(verifyLedger(db)).toMatchObject({ ok: false, firstBadSeq: 7 });
  });

  it('detects an edit that was re-hashed, naming the edited entry', () => {
    fill(10);
    const e = listLedger(db, { fromSeq: 4, limit: 1 })[0]!;
    const body = { ...e.body, eps: 9 };
    const hash = canonicalHash('ledger-entry', {
      seq: e.seq,
      type: e.type,
      at: e.at,
      subject: e.subject,
      body: body as Record<string, number>,
      commitment: e.commitment,
      prevHash: e.prevHash,
    });
    tamper(`UPDATE ledger SET body = '${JSON.stringify(body)}', hash = '${hash}' WHERE seq = 4`);
    expect(verifyLedger(db)).toMatchObject({ ok: false, firstBadSeq: 4 });
  });

  it('detects a deleted row as a gap', () => {
    fill(10);
    tamper('DELETE FROM ledger WHERE seq = 3');
    const r = verifyLedger(db);
    expect(r).toMatchObject({ ok: false, firstBadSeq: 3 });
    expect(r.ok === false && r.reason).toMatch(/entry 3 is missing/);
  });

  it('detects two rows whose seq were swapped', () => {
    fill(10);
    tamper(
      'UPDATE ledger SET seq = 100 WHERE seq = 2; UPDATE ledger SET seq = 2 WHERE seq = 6; UPDATE ledger SET seq = 6 WHERE seq = 100;'
    );
    expect(verifyLedger(db)).toMatchObject({ ok: false, firstBadSeq: 2 });
  });

  it('detects a forged private payload', () => {
    fill(10);
    db.exec('DROP TRIGGER ledger_private_no_update');
    db.exec(`UPDATE ledger_private SET payload = '{"customerId":"C-999"}' WHERE seq = 6`);
    expect(verifyLedger(db)).toMatchObject({ ok: false, firstBadSeq: 6 });
  });

  it('still verifies after private payloads are erased', () => {
    fill(10);
    db.exec('DELETE FROM ledger_private');
    expect(verifyLedger(db)).toMatchObject({ ok: true, size: 10 });
  });

  it('detects truncation and re-append against externally known hashes', () => {
    fill(10);
    const known = listLedger(db).map((e) => ({ seq: e.seq, hash: e.hash }));
    tamper('DELETE FROM ledger WHERE seq >= 5; DELETE FROM ledger_private WHERE seq >= 5');
    // Truncation alone is invisible to the chain itself: only an anchor reveals it.
    expect(verifyLedger(db)).toMatchObject({ ok: true, size: 5 });
    expect(verifyLedger(db, { knownHashes: known })).toMatchObject({ ok: false, firstBadSeq: 5 });
    appendLedgerEntry(db, { type: 'import', body: { i: 5, note: 'forged' } });
    appendLedgerEntry(db, { type: 'import', body: { i: 6, note: 'forged' } });
    expect(verifyLedger(db)).toMatchObject({ ok: true, size: 7 });
    const r = verifyLedger(db, { knownHashes: known });
    expect(r).toMatchObject({ ok: false, firstBadSeq: 5 });
    expect(r.ok === false && r.reason).toMatch(/externally known/);
  });

  it('names a hash field that is not 64 hex, whether it is the hash or the link', () => {
    fill(6);
    tamper(`UPDATE ledger SET hash = 'XYZ' WHERE seq = 2`);
    expect(verifyLedger(db)).toMatchObject({
      ok: false,
      firstBadSeq: 2,
      reason: 'hash fields are not 64 hex',
    });
    db.exec(`UPDATE ledger SET hash = (SELECT prev_hash FROM ledger WHERE seq = 3) WHERE seq = 2`);
    db.exec(`UPDATE ledger SET prev_hash = 'not-hex' WHERE seq = 4`);
    expect(verifyLedger(db)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: 'hash fields are not 64 hex',
    });
  });

  it('matches each private payload to its own entry, not a neighbour', () => {
    fill(10);
    // A payload planted on entry 4, which committed to none: the merge must attach it to 4.
    db.exec('DROP TRIGGER ledger_private_no_update');
    db.prepare(
      'INSERT INTO ledger_private (seq, subject, salt, payload) VALUES (?, NULL, ?, ?)'
    ).run(4, Buffer.alloc(16), '{"customerId":"C-4"}');
    expect(verifyLedger(db)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      reason: 'entry 4: private payload does not match its commitment',
    });
  });

  it('detects a row with a broken link to its predecessor', () => {
    fill(5);
    tamper(`UPDATE ledger SET prev_hash = '${'1'.repeat(64)}' WHERE seq = 3`);
    expect(verifyLedger(db)).toMatchObject({ ok: false, firstBadSeq: 3 });
  });
});
