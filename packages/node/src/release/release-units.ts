import type Database from 'better-sqlite3';
import {
  MemorySubtreeCache,
  sortedSetNonMembership,
  type NonMembershipProof,
  type SubtreeCache,
} from '@fedmark/protocol';
import { UNITS_CHUNK, UNITS_CHUNK_LEVEL, type UnitsCommitment } from './_units-commit.ts';
import { schemaOnce } from '../store/_schema-once.ts';

// The sorted pseudonyms a release committed to (its ledger entry holds only their root and
// count), kept beside the ledger so the node can later prove that an erased pseudonym was not
// among them. Stored in chunks of 4096 (128 KiB blobs, one row each) rather than a row per
// pseudonym: a release over a million customers writes 245 rows instead of a million. Erasure
// does NOT delete these rows: they are keyed hashes, not personal data (the pepper never leaves
// the node), and the proofs need them. The triggers make the table append-only.
const SCHEMA = `
CREATE TABLE IF NOT EXISTS release_units (
  release_seq INTEGER NOT NULL,
  chunk INTEGER NOT NULL,
  pseudonyms BLOB NOT NULL,
  chunk_root BLOB,
  PRIMARY KEY (release_seq, chunk)
);
CREATE TRIGGER IF NOT EXISTS release_units_no_update BEFORE UPDATE ON release_units
  BEGIN SELECT RAISE(ABORT, 'release_units is append-only'); END;
CREATE TRIGGER IF NOT EXISTS release_units_no_delete BEFORE DELETE ON release_units
  BEGIN SELECT RAISE(ABORT, 'release_units is append-only'); END;
`;

export const ensureReleaseUnitsSchema = schemaOnce(SCHEMA);

/** Stores a commitment's sorted pseudonyms for the release entry `seq` (inside its transaction). */
export function storeReleaseUnits(db: Database.Database, seq: number, c: UnitsCommitment): void {
  ensureReleaseUnitsSchema(db);
  const insert = db.prepare(
    'INSERT INTO release_units (release_seq, chunk, pseudonyms, chunk_root) VALUES (?, ?, ?, ?)'
  );
  const chunks = Math.ceil(c.count / UNITS_CHUNK);
  for (let k = 0; k < chunks; k++) {
    const bytes = c.sorted.subarray(
      k * UNITS_CHUNK * 32,
      Math.min(c.count, (k + 1) * UNITS_CHUNK) * 32
    );
    insert.run(seq, k, bytes, c.chunkRoots[k] ?? null);
  }
}

/** Read access to one release's stored pseudonyms, with the full-chunk roots as a subtree cache. */
export interface ReleaseUnitsReader {
  /** Pseudonyms stored (0 when the release stored none). */
  size: number;
  /** Pseudonym `index` (32 bytes). */
  get(index: number): Uint8Array;
  /** Perfect level-12 subtrees from the stored chunk roots: a proof hashes at most two chunks. */
  cache: SubtreeCache;
  /** Every pseudonym in order (reads every chunk), for a full check. */
  all(): Generator<Uint8Array>;
}

export function releaseUnitsReader(db: Database.Database, seq: number): ReleaseUnitsReader {
  ensureReleaseUnitsSchema(db);
  const meta = db
    .prepare(
      'SELECT chunk, length(pseudonyms) AS bytes, chunk_root FROM release_units WHERE release_seq = ? ORDER BY chunk'
    )
    .all(seq) as { chunk: number; bytes: number; chunk_root: Buffer | null }[];
  let size = 0;
  meta.forEach((m, k) => {
    if (m.chunk !== k)
      throw new RangeError(`release_units of release ${seq}: chunk ${k} is missing`);
    if (m.bytes % 32 !== 0 || (k < meta.length - 1 && m.bytes !== UNITS_CHUNK * 32))
      throw new RangeError(`release_units of release ${seq}: chunk ${k} has a bad length`);
    size += m.bytes / 32;
  });
  const readChunk = db
    .prepare('SELECT pseudonyms FROM release_units WHERE release_seq = ? AND chunk = ?')
    .pluck();
  // Two chunks cover every proof (the bracketing leaves are adjacent); keep the last two read.
  const held = new Map<number, Buffer>();
  const chunk = (k: number): Buffer => {
    let b = held.get(k);
    if (!b) {
      b = readChunk.get(seq, k) as Buffer;
      if (held.size >= 2) held.delete(held.keys().next().value as number);
      held.set(k, b);
    }
    return b;
  };
  const get = (index: number): Uint8Array => {
    if (!Number.isSafeInteger(index) || index < 0 || index >= size)
      throw new RangeError(`"index" ${index} is outside the ${size} units of release ${seq}`);
    const b = chunk(Math.floor(index / UNITS_CHUNK));
    const off = (index % UNITS_CHUNK) * 32;
    return new Uint8Array(b.buffer, b.byteOffset + off, 32);
  };
  // Levels >= 12 below the stored chunk roots' level come from them; the subtrees of levels
  // 4-11 hashed while proving are kept, so more proofs in the same chunk cost ~16 leaf hashes.
  const inner = new MemorySubtreeCache(4);
  const cache: SubtreeCache = {
    get: (level, index) => {
      if (level !== UNITS_CHUNK_LEVEL) return inner.get(level, index);
      const root = meta[index]?.chunk_root;
      return root ? new Uint8Array(root) : undefined;
    },
    set: (level, index, h) => {
      if (level < UNITS_CHUNK_LEVEL) inner.set(level, index, h);
    },
  };
  function* all(): Generator<Uint8Array> {
    for (let k = 0; k < meta.length; k++) {
      const b = readChunk.get(seq, k) as Buffer;
      for (let off = 0; off < b.length; off += 32)
        yield new Uint8Array(b.buffer, b.byteOffset + off, 32);
    }
  }
  return { size, get, cache, all };
}

/** True when the node stored a unit list for release entry `seq` (even an empty one has none). */
export function hasReleaseUnits(db: Database.Database, seq: number): boolean {
  ensureReleaseUnitsSchema(db);
  return (
    db.prepare('SELECT 1 FROM release_units WHERE release_seq = ? LIMIT 1').get(seq) !== undefined
  );
}

/**
 * Proof that `pseudonym` (32 bytes) is not among the units release entry `seq` committed to, or
 * null when it is. A damaged stored list throws a RangeError that names it.
 */
export function releaseNonMembership(
  db: Database.Database,
  seq: number,
  pseudonym: Uint8Array
): NonMembershipProof | null {
  return releaseNonMemberships(db, seq, [pseudonym])[0] ?? null;
}

/** The same for several pseudonyms, reading the release's list once. */
export function releaseNonMemberships(
  db: Database.Database,
  seq: number,
  pseudonyms: readonly Uint8Array[]
): (NonMembershipProof | null)[] {
  const r = releaseUnitsReader(db, seq);
  return pseudonyms.map((p) => sortedSetNonMembership(p, r.size, r.get, r.cache));
}
