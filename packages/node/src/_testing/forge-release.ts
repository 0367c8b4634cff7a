/**
 * Internal test helper: what a dishonest node would do to hide that a release used an erased
 * customer's data, so audit tests can show `erasure_honoured` (and `units_sorted`) catch it.
 */
import type Database from 'better-sqlite3';
import { CompactMerkleTree, bytesToHex, hexToBytes, leafHash } from '@fedmark/protocol';
import { entryHash, type LedgerRow } from '../ledger/_row.ts';
import { releaseUnitsReader } from '../release/index.ts';

/**
 * Where the forged pseudonym goes in the committed list:
 * - 'sorted': in order, as an honest node would have committed it (erasure_honoured catches it);
 * - 'hidden': out of order, first when it is above the list's median and last when below, where
 *   a binary search for it never looks, so the node can still produce a bracketing "proof" of
 *   absence that verifies against the forged root (only `--deep`'s units_sorted catches it).
 */
export type ForgePlacement = 'sorted' | 'hidden';

/**
 * Rewrites release entry `seq` as if the node had also used the pseudonym `extraHex`: the stored
 * unit list, the entry's unitsRoot/unitsCount (the plain RFC 6962 root of the list as it stands),
 * and every later entry's hash, so the hash chain still verifies. Drops the append-only triggers
 * it needs to. The Merkle cache and checkpoints are left as they are: each test chooses what else
 * the node rewrites (see dropLedgerMerkleCache).
 */
export function forgeReleaseUnits(
  db: Database.Database,
  seq: number,
  extraHex: string,
  placement: ForgePlacement = 'sorted'
): void {
  const units: Uint8Array[] = [...releaseUnitsReader(db, seq).all()].map((u) => new Uint8Array(u));
  const extra = hexToBytes(extraHex);
  let forged: Uint8Array[];
  if (placement === 'sorted') forged = [...units, extra].sort((a, b) => Buffer.compare(a, b));
  else
    forged =
      Buffer.compare(extra, units[Math.floor(units.length / 2)] as Uint8Array) > 0
        ? [extra, ...units]
        : [...units, extra];
  const tree = new CompactMerkleTree();
  for (const u of forged) tree.append(leafHash(u));
  db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER ledger_no_update;');
  db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(seq);
  db.prepare(
    'INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, 0, ?, NULL)'
  ).run(seq, Buffer.concat(forged));
  let prevHash = db
    .prepare('SELECT hash FROM ledger WHERE seq = ?')
    .pluck()
    .get(seq - 1) as string;
  for (const row of db
    .prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq')
    .all(seq) as LedgerRow[]) {
    const old = JSON.parse(row.body) as Record<string, never>;
    const body =
      row.seq === seq
        ? { ...old, unitsRoot: bytesToHex(tree.root()), unitsCount: forged.length }
        : old;
    const hash = entryHash({
      seq: row.seq,
      type: row.type,
      at: row.at,
      subject: row.subject,
      body,
      commitment: row.commitment,
      prevHash,
    });
    db.prepare('UPDATE ledger SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(
      JSON.stringify(body),
      prevHash,
      hash,
      row.seq
    );
    prevHash = hash;
  }
}

/**
 * Drops the node's Merkle cache and its checkpoints, as a node rewriting history would (it could
 * re-sign new ones), so only the checks that recompute from rows can see the forgery.
 */
export function dropLedgerMerkleCache(db: Database.Database): void {
  for (const t of [
    'ledger_merkle_state',
    'ledger_merkle_nodes',
    'ledger_checkpoint_receipts',
    'ledger_checkpoints',
  ]) {
    if (db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(t))
      db.exec(`DELETE FROM ${t}`);
  }
}
