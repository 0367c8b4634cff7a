import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { PolicySchema, SegmentQuerySchema, bytesToHex, hexToBytes, sortedSetRoot } from '@fedmark/protocol';
import { eraseCustomer } from '../erasure/index.ts';
import { initNode, loadIdentity, pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { importCsv } from '../importing/index.ts';
import { appendLedgerEntry, listLedger } from '../ledger/index.ts';
import { entryHash, type LedgerRow } from '../ledger/_row.ts';
import { releaseSegmentStats, releaseUnitsReader } from '../release/index.ts';
import { createUnitSource, openNodeDatabase } from '../store/index.ts';
import { auditNode } from './index.ts';

let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;

const query = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-11-01',
  epsilon: 0.5,
  dimensions: [{ field: 'attr.region', categories: ['north', 'south'] }],
  measures: [],
});
const policy = PolicySchema.parse({ budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }] });
const IDS = Array.from({ length: 12 }, (_, i) => `C${String(i).padStart(2, '0')}`);

function release(jobId: string): number {
  const source = createUnitSource(db, { purpose: 'analytics', asOf: '2026-11-01' });
  releaseSegmentStats({ db, identity: id, policy }, { query, source, jobId, round: 0 });
  return listLedger(db, { type: 'release' }).at(-1)?.seq as number;
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'audit-erasure-'));
  dir = join(root, 'node');
  await initNode({ dir, name: 'node-e' });
  id = loadIdentity(dir);
  db = openNodeDatabase(dir);
  const customers = join(root, 'customers.csv');
  writeFileSync(customers, `customer_id,signup_date,region\n${IDS.map((c, i) => `${c},2020-01-01,${i % 2 ? 'north' : 'south'}`).join('\n')}\n`);
  await importCsv(db, id, { kind: 'customers', file: customers });
  const consents = join(root, 'consents.csv');
  writeFileSync(consents, `customer_id,purpose,status,time\n${IDS.map((c) => `${c},analytics,granted,2020-01-01`).join('\n')}\n`);
  await importCsv(db, id, { kind: 'consents', file: consents });
});
afterEach(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

const check = (r: Awaited<ReturnType<typeof auditNode>>) => r.checks.find((c) => c.check === 'erasure_honoured');

/**
 * Rewrites release entry `seq` as if the node had used `extra` too: the unit list and its root
 * and count, the entry body, and every later hash, so the chain verifies; the Merkle cache and
 * checkpoints are dropped (the node could re-sign them), so only erasure_honoured can see it.
 */
function forgeUse(seq: number, extra: string): void {
  const units: Uint8Array[] = [...releaseUnitsReader(db, seq).all()].map((u) => new Uint8Array(u));
  units.push(hexToBytes(extra));
  units.sort((a, b) => Buffer.compare(a, b));
  db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER ledger_no_update;');
  db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(seq);
  db.prepare('INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, 0, ?, NULL)').run(seq, Buffer.concat(units));
  const rows = db.prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq').all(seq) as LedgerRow[];
  let prevHash = (db.prepare('SELECT hash FROM ledger WHERE seq = ?').pluck().get(seq - 1) as string);
  for (const row of rows) {
    const body = JSON.parse(row.body) as Record<string, never>;
    const newBody = row.seq === seq ? { ...body, unitsRoot: bytesToHex(sortedSetRoot(units)), unitsCount: units.length } : body;
    const hash = entryHash({ seq: row.seq, type: row.type, at: row.at, subject: row.subject, body: newBody, commitment: row.commitment, prevHash });
    db.prepare('UPDATE ledger SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(newBody), prevHash, hash, row.seq);
    prevHash = hash;
  }
  for (const t of ['ledger_merkle_state', 'ledger_merkle_nodes', 'ledger_checkpoint_receipts', 'ledger_checkpoints']) {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t)) db.exec(`DELETE FROM ${t}`);
  }
}

describe('audit check erasure_honoured', () => {
  it('passes when releases after an erasure prove the erased pseudonym absent; a forged use fails naming the release', async () => {
    release('job-before');
    const erased = eraseCustomer(db, id, 'C03').pseudonym;
    expect(erased).toBe(pseudonymFor(id, 'C03'));
    const after = release('job-after');
    const body = listLedger(db, { type: 'release' }).at(-1)?.body;
    expect(body?.['unitsCount']).toBe(11);

    const ok = await auditNode({ dir, db });
    expect(ok.ok).toBe(true);
    expect(check(ok)).toEqual({ check: 'erasure_honoured', ok: true, detail: '1 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym' });

    forgeUse(after, erased);
    const bad = await auditNode({ dir, db });
    expect(bad.ok).toBe(false);
    expect(bad.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['erasure_honoured']);
    expect(bad.firstFailure?.check).toBe('erasure_honoured');
    expect(bad.firstFailure?.firstBadSeq).toBe(after);
    expect(bad.firstFailure?.detail).toBe(`release entry ${after}: used the pseudonym ${erased.slice(0, 16)}… erased at entry ${after - 2}: it is among the release's committed units`);
  });

  it('names a release whose stored units are missing, and a proof that does not match the root', async () => {
    const erased = eraseCustomer(db, id, 'C05').pseudonym;
    const after = release('job-x');
    db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER release_units_no_update;');
    // A different list (one customer dropped) under the same ledger root.
    const units = [...releaseUnitsReader(db, after).all()].slice(1);
    db.prepare('UPDATE release_units SET pseudonyms = ? WHERE release_seq = ?').run(Buffer.concat(units), after);
    const mismatch = await auditNode({ dir, db });
    expect(mismatch.firstFailure?.check).toBe('erasure_honoured');
    expect(mismatch.firstFailure?.detail).toMatch(new RegExp(`^release entry ${after}: the non-membership proof for pseudonym ${erased.slice(0, 16)}… .* does not verify against the release's unitsRoot$`));

    db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(after);
    const missing = await auditNode({ dir, db });
    expect(missing.firstFailure).toMatchObject({ check: 'erasure_honoured', firstBadSeq: after });
    expect(missing.firstFailure?.detail).toBe(`release entry ${after}: no non-membership proofs for the 1 pseudonym(s) erased before it: release_units holds no rows for it`);
  });

  it('reports releases without a commitment in the notes, not as failures', async () => {
    eraseCustomer(db, id, 'C01');
    const legacy = appendLedgerEntry(db, { type: 'release', body: { jobId: 'old', round: 0, kind: 'segment_stats', epsilonMicro: 1 } }).seq;
    const r = await auditNode({ dir, db });
    expect(check(r)?.ok).toBe(true);
    expect(check(r)?.detail).toBe('0 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym; 1 later release(s) carry no units commitment (see notes)');
    expect(r.notes.some((n) => n.startsWith(`no commitment: release entry ${legacy} `))).toBe(true);
  });
});
