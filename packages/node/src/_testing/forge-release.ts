/**
 * Internal test helper: what a dishonest node would do to hide that a release used an erased
 * customer's data, so audit tests can show `erasure_honoured` still catches it.
 */
import type Database from 'better-sqlite3';
import { bytesToHex, hexToBytes, sortedSetRoot } from '@fedmark/protocol';
import { entryHash, type LedgerRow } from '../ledger/_row.ts';
import { releaseUnitsReader } from '../release/index.ts';

/**
 * Rewrites release entry `seq` as if the node had also used the pseudonym `extraHex`: the stored
 * unit list, the entry's unitsRoot/unitsCount, and every later entry's hash, so the hash chain
 * still verifies. Drops the append-only triggers it needs to. The Merkle cache and checkpoints
 * are left as they are: each test chooses what else the node rewrites.
 */
export function forgeReleaseUnits(db: Database.Database, seq: number, extraHex: string): void {
  const units: Uint8Array[] = [...releaseUnitsReader(db, seq).all()].map((u) => new Uint8Array(u));
  units.push(hexToBytes(extraHex));
  units.sort((a, b) => Buffer.compare(a, b));
  db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER ledger_no_update;');
  db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(seq);
  db.prepare('INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, 0, ?, NULL)').run(seq, Buffer.concat(units));
  let prevHash = db.prepare('SELECT hash FROM ledger WHERE seq = ?').pluck().get(seq - 1) as string;
  for (const row of db.prepare('SELECT * FROM ledger WHERE seq >= ? ORDER BY seq').all(seq) as LedgerRow[]) {
    const old = JSON.parse(row.body) as Record<string, never>;
    const body = row.seq === seq ? { ...old, unitsRoot: bytesToHex(sortedSetRoot(units)), unitsCount: units.length } : old;
    const hash = entryHash({ seq: row.seq, type: row.type, at: row.at, subject: row.subject, body, commitment: row.commitment, prevHash });
    db.prepare('UPDATE ledger SET body = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(JSON.stringify(body), prevHash, hash, row.seq);
    prevHash = hash;
  }
}
