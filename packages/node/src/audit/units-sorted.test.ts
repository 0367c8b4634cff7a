import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { CompactMerkleTree, bytesToHex, hexToBytes, leafHash, sortedSetRoot, type LedgerEntry } from '@fedmark/protocol';
import { importRegionCustomers, releaseRegions } from '../_testing/region-release.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { eraseCustomer } from '../erasure/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { entryHash, type LedgerRow } from '../ledger/_row.ts';
import { releaseUnitsReader } from '../release/index.ts';
import { auditNode } from './index.ts';
import { checkUnitsSorted } from './units-sorted.ts';

let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;
useTempNode('audit-units-sorted-', 'node-s', (t) => ({ root, dir, db, identity: id } = t));

const IDS = Array.from({ length: 12 }, (_, i) => `C${String(i).padStart(2, '0')}`);

/**
 * The attack --deep exists for: a node that used an erased customer hides it by committing an
 * UNSORTED list. The pseudonym goes where a binary search for it never looks (first when it is
 * above the median, last when below), so the node can still produce a bracketing "proof" of
 * absence that verifies against the forged root. The chain is re-hashed so it verifies too.
 */
function hideInUnsortedList(seq: number, hidden: Uint8Array): void {
  const units = [...releaseUnitsReader(db, seq).all()].map((u) => new Uint8Array(u));
  const median = units[Math.floor(units.length / 2)] as Uint8Array;
  const forged = Buffer.compare(hidden, median) > 0 ? [hidden, ...units] : [...units, hidden];
  // The plain RFC 6962 root of the list as it stands (sortedSetRoot would refuse an unsorted one).
  const tree = new CompactMerkleTree();
  for (const u of forged) tree.append(leafHash(u));
  db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER ledger_no_update;');
  db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(seq);
  db.prepare('INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, 0, ?, NULL)').run(seq, Buffer.concat(forged));
  let prevHash = db.prepare('SELECT hash FROM ledger WHERE seq = ?').pluck().get(seq - 1) as string;
  for (const row of db.prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq').all(seq) as LedgerRow[]) {
    const old = JSON.parse(row.body) as Record<string, never>;
    const body = row.seq === seq ? { ...old, unitsRoot: bytesToHex(tree.root()), unitsCount: forged.length } : old;
    const hash = entryHash({ seq: row.seq, type: row.type, at: row.at, subject: row.subject, body, commitment: row.commitment, prevHash });
    db.prepare('UPDATE ledger SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(body), prevHash, hash, row.seq);
    prevHash = hash;
  }
  for (const t of ['ledger_merkle_state', 'ledger_merkle_nodes', 'ledger_checkpoint_receipts', 'ledger_checkpoints']) {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t)) db.exec(`DELETE FROM ${t}`);
  }
}

describe('audit check units_sorted (--deep)', () => {
  it('passes on honest lists; an erased customer hidden in an unsorted list fools erasure_honoured but not --deep', async () => {
    await importRegionCustomers(db, id, root, IDS);
    releaseRegions(db, id, 'before');
    const erased = eraseCustomer(db, id, 'C07').pseudonym;
    const after = releaseRegions(db, id, 'after');

    const honest = await auditNode({ dir, db, deep: true });
    expect(honest.ok).toBe(true);
    expect(honest.checks.find((c) => c.check === 'units_sorted')).toEqual({
      check: 'units_sorted',
      ok: true,
      detail: '2 committed unit list(s), 23 unit(s): strictly ascending, counts and roots recompute',
    });
    const shallow = await auditNode({ dir, db });
    expect(shallow.checks.some((c) => c.check === 'units_sorted')).toBe(false);
    expect(shallow.notes.some((n) => n.includes('--deep'))).toBe(true);

    hideInUnsortedList(after, hexToBytes(erased));
    const fooled = await auditNode({ dir, db });
    expect(fooled.checks.find((c) => c.check === 'erasure_honoured')?.ok).toBe(true);
    expect(fooled.ok).toBe(true);

    const deep = await auditNode({ dir, db, deep: true });
    expect(deep.ok).toBe(false);
    expect(deep.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['units_sorted']);
    expect(deep.firstFailure?.firstBadSeq).toBe(after);
    expect(deep.firstFailure?.detail).toMatch(new RegExp(`^release entry ${after}: units \\d+ and \\d+ are not in strictly ascending order`));
  });

  it('names a release whose list is missing, too short, or hashes to another root', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const entry = (seq: number, units: Uint8Array[], count = units.length): LedgerEntry =>
      ({ seq, type: 'release', at: '2026-11-01T00:00:00.000Z', subject: null, body: { unitsRoot: bytesToHex(sortedSetRoot(units)), unitsCount: count }, commitment: null, prevHash: '', hash: '' }) as LedgerEntry;
    const lists = new Map<number, Uint8Array[]>([
      [3, [a, b]],
      [5, [a]],
      [7, [a, b]],
    ]);
    const read = (seq: number) => lists.get(seq) ?? null;
    expect(checkUnitsSorted([entry(3, [a, b])], read).ok).toBe(true);
    expect(checkUnitsSorted([entry(4, [a, b])], read)).toMatchObject({ ok: false, firstBadSeq: 4, detail: 'release entry 4: its committed unit list is not stored beside the ledger' });
    expect(checkUnitsSorted([entry(5, [a, b])], read)).toMatchObject({ ok: false, firstBadSeq: 5, detail: 'release entry 5: the stored list holds 1 units, the ledger entry commits to 2' });
    expect(checkUnitsSorted([entry(7, [a, new Uint8Array(32).fill(3)])], read)).toMatchObject({ ok: false, firstBadSeq: 7, detail: 'release entry 7: the stored list does not hash to the unitsRoot in the ledger' });
  });
});
