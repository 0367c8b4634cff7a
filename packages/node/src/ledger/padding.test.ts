import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { generateSigningKeyPair, verifyCheckpoint } from '@fedmark/protocol';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { entryHash } from './_row.ts';
import {
  CHECKPOINT_BUCKET,
  appendLedgerEntry,
  type AppendLedgerInput,
  createLedgerCheckpoint,
  ledgerSize,
  listLedger,
  listLedgerCheckpoints,
  padLedgerToBucket,
  verifyLedger,
} from './index.ts';

// docs/audit.md "Checkpoint padding".
let db: Database.Database;
useTempDatabase('ledger-padding-', (t) => ({ db } = t));
const id = { name: 'node-pad', signing: generateSigningKeyPair() };
const AT = new Date('2026-02-01T12:00:00.000Z');

function fill(n: number): void {
  db.transaction(() => {
    for (let i = 0; i < n; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  })();
}

/** The node's own verdict with every stored checkpoint as an anchor (what `ledger verify` runs). */
const verify = () =>
  verifyLedger(db, {
    checkpoints: listLedgerCheckpoints(db).map((c) => ({
      treeSize: c.checkpoint.treeSize,
      rootHash: c.checkpoint.rootHash,
      timestamp: c.checkpoint.timestamp,
      trusted: false,
    })),
  });

function tamper(sql: string, ...params: (string | number)[]): void {
  db.exec('DROP TRIGGER IF EXISTS ledger_no_update');
  db.prepare(sql).run(...params);
}

describe('checkpoint padding', () => {
  it('pads every checkpoint to a multiple of the bucket, adding at most bucket - 1 entries', () => {
    expect(CHECKPOINT_BUCKET).toBe(64);
    const sizes: number[] = [];
    const added: number[] = [];
    // Real entries between checkpoints: none, one, a bucket less one, exactly a bucket, more.
    for (const n of [0, 1, 63, 64, 65, 200]) {
      fill(n);
      const before = ledgerSize(db);
      const cp = createLedgerCheckpoint(db, id, AT);
      expect(verifyCheckpoint(cp.checkpoint, id.signing.publicKey)).toBe(true);
      sizes.push(cp.checkpoint.treeSize);
      added.push(cp.checkpoint.treeSize - before);
    }
    expect(sizes).toEqual([0, 64, 128, 192, 320, 576]);
    expect(added).toEqual([0, 63, 1, 0, 63, 56]);
    expect(sizes.every((s) => s % CHECKPOINT_BUCKET === 0)).toBe(true);
  });

  it('writes padding entries that record nothing, at the checkpoint time, and verify', () => {
    fill(5);
    expect(padLedgerToBucket(db, AT)).toBe(59);
    expect(padLedgerToBucket(db, AT)).toBe(0);
    const padding = listLedger(db, { type: 'padding' });
    expect(padding.map((e) => e.seq)).toEqual(Array.from({ length: 59 }, (_, i) => 5 + i));
    expect(padding.every((e) => e.at === AT.toISOString())).toBe(true);
    expect(padding.map(({ body, subject, commitment }) => ({ body, subject, commitment }))).toEqual(
      padding.map(() => ({ body: {}, subject: null, commitment: null }))
    );
    createLedgerCheckpoint(db, id, AT);
    expect(verify()).toMatchObject({ ok: true, size: 64 });
  });

  it('a second checkpoint with nothing new adds no padding (hourly liveness costs nothing)', () => {
    fill(3);
    const a = createLedgerCheckpoint(db, id, AT);
    const b = createLedgerCheckpoint(db, id, new Date(AT.getTime() + 3_600_000));
    expect([a.checkpoint.treeSize, b.checkpoint.treeSize]).toEqual([64, 64]);
    expect(b.checkpoint.rootHash).toBe(a.checkpoint.rootHash);
    expect(ledgerSize(db)).toBe(64);
  });

  it('rolls the padding back with a checkpoint that fails', () => {
    fill(3);
    expect(() => createLedgerCheckpoint(db, { name: '', signing: id.signing }, AT)).toThrow(
      /^"checkpoint.origin"/
    );
    expect(ledgerSize(db)).toBe(3);
  });

  it('refuses a padding entry with content at append time', () => {
    const bad: AppendLedgerInput[] = [
      { type: 'padding', body: { consent: 1 } },
      { type: 'padding', body: {}, subject: 'ab'.repeat(32) },
      { type: 'padding', body: {}, privatePayload: { customerId: 'C1' } },
    ];
    for (const input of bad)
      expect(() => appendLedgerEntry(db, input)).toThrow(
        '"padding" entries expected body {}, no subject and no private payload'
      );
    expect(ledgerSize(db)).toBe(0);
  });

  it('detects an edited padding entry like any other entry', () => {
    fill(10);
    createLedgerCheckpoint(db, id, AT);
    tamper('UPDATE ledger SET body = ? WHERE seq = 30', '{"consent":"C-7"}');
    expect(verify()).toEqual({
      ok: false,
      size: 64,
      firstBadSeq: 30,
      reason: 'entry 30 was altered: its content no longer matches its hash',
    });
  });

  it('detects a padding entry rewritten as a real one and re-hashed (the checkpoint root)', () => {
    fill(10);
    createLedgerCheckpoint(db, id, AT);
    // The attacker turns the last padding entry into a consent change and re-hashes it: a valid
    // chain (nothing follows it), but the signed checkpoint of 64 entries no longer recomputes.
    const row = db.prepare('SELECT * FROM ledger WHERE seq = 63').get() as {
      at: string;
      prev_hash: string;
    };
    const body = { purpose: 'analytics', effectiveAt: row.at };
    const hash = entryHash({
      seq: 63,
      type: 'consent_granted',
      at: row.at,
      subject: null,
      body,
      commitment: null,
      prevHash: row.prev_hash,
    });
    tamper(
      "UPDATE ledger SET type = 'consent_granted', body = ?, hash = ? WHERE seq = 63",
      JSON.stringify(body),
      hash
    );
    // Padded checkpoints are at least a bucket apart, so a root names a range, not the entry.
    const r = verify();
    expect(r).toMatchObject({ ok: false, size: 64, firstBadSeq: 0 });
    expect(r.ok ? '' : r.reason).toContain('the first changed entry is in [0, 64)');
  });

  it('refuses a re-hashed padding entry that carries content', () => {
    fill(2);
    padLedgerToBucket(db, AT);
    const row = db.prepare('SELECT * FROM ledger WHERE seq = 63').get() as {
      at: string;
      prev_hash: string;
    };
    const body = { hidden: 'C-9 revoked' };
    const hash = entryHash({
      seq: 63,
      type: 'padding',
      at: row.at,
      subject: null,
      body,
      commitment: null,
      prevHash: row.prev_hash,
    });
    tamper('UPDATE ledger SET body = ?, hash = ? WHERE seq = 63', JSON.stringify(body), hash);
    expect(verifyLedger(db)).toEqual({
      ok: false,
      size: 64,
      firstBadSeq: 63,
      reason:
        'entry 63 is padding but carries content (padding has body {}, no subject, no commitment)',
    });
  });

  it('listings can leave padding out', () => {
    fill(2);
    padLedgerToBucket(db, AT);
    fill(1);
    expect(listLedger(db, { padding: false }).map((e) => e.seq)).toEqual([0, 1, 64]);
    expect(listLedger(db).length).toBe(65);
  });
});
