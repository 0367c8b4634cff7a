import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { bytesToHex, sortedSetRoot, type LedgerEntry } from '@fedmark/protocol';
import { dropLedgerMerkleCache, forgeReleaseUnits } from '../_testing/forge-release.ts';
import { importRegionCustomers, releaseRegions } from '../_testing/region-release.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { eraseCustomer } from '../erasure/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { auditNode } from './index.ts';
import { checkUnitsSorted } from './units-sorted.ts';

let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;
useTempNode('audit-units-sorted-', 'node-s', (t) => ({ root, dir, db, identity: id } = t));

const IDS = Array.from({ length: 12 }, (_, i) => `C${String(i).padStart(2, '0')}`);

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
      detail:
        '2 committed unit list(s), 23 unit(s): strictly ascending, counts and roots recompute',
    });
    const shallow = await auditNode({ dir, db });
    expect(shallow.checks.some((c) => c.check === 'units_sorted')).toBe(false);
    expect(shallow.notes.some((n) => n.includes('--deep'))).toBe(true);

    // The attack --deep exists for: the erased customer hidden in an unsorted committed list.
    forgeReleaseUnits(db, after, erased, 'hidden');
    dropLedgerMerkleCache(db);
    const fooled = await auditNode({ dir, db });
    expect(fooled.checks.find((c) => c.check === 'erasure_honoured')?.ok).toBe(true);
    expect(fooled.ok).toBe(true);

    const deep = await auditNode({ dir, db, deep: true });
    expect(deep.ok).toBe(false);
    expect(deep.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['units_sorted']);
    expect(deep.firstFailure?.firstBadSeq).toBe(after);
    expect(deep.firstFailure?.detail).toMatch(
      new RegExp(`^release entry ${after}: units \\d+ and \\d+ are not in strictly ascending order`)
    );
  });

  it('names a release whose list is missing, too short, or hashes to another root', () => {
    const a = new Uint8Array(32).fill(1);
    const b = new Uint8Array(32).fill(2);
    const entry = (seq: number, units: Uint8Array[], count = units.length): LedgerEntry =>
      ({
        seq,
        type: 'release',
        at: '2026-11-01T00:00:00.000Z',
        subject: null,
        body: { unitsRoot: bytesToHex(sortedSetRoot(units)), unitsCount: count },
        commitment: null,
        prevHash: '',
        hash: '',
      }) as LedgerEntry;
    const lists = new Map<number, Uint8Array[]>([
      [3, [a, b]],
      [5, [a]],
      [7, [a, b]],
    ]);
    const read = (seq: number) => lists.get(seq) ?? null;
    expect(checkUnitsSorted([entry(3, [a, b])], read).ok).toBe(true);
    expect(checkUnitsSorted([entry(4, [a, b])], read)).toMatchObject({
      ok: false,
      firstBadSeq: 4,
      detail: 'release entry 4: its committed unit list is not stored beside the ledger',
    });
    expect(checkUnitsSorted([entry(5, [a, b])], read)).toMatchObject({
      ok: false,
      firstBadSeq: 5,
      detail: 'release entry 5: the stored list holds 1 units, the ledger entry commits to 2',
    });
    expect(checkUnitsSorted([entry(7, [a, new Uint8Array(32).fill(3)])], read)).toMatchObject({
      ok: false,
      firstBadSeq: 7,
      detail: 'release entry 7: the stored list does not hash to the unitsRoot in the ledger',
    });
  });
});
