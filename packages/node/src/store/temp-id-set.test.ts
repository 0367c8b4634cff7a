import type Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { TempIdSet } from './temp-id-set.ts';

let db: Database.Database;
useTempDatabase('temp-ids-', (t) => ({ db } = t));

const rows = (): number[] =>
  db.prepare('SELECT customer FROM temp.marked ORDER BY customer').pluck().all() as number[];

describe('TempIdSet', () => {
  it('holds every distinct id once, across the bulk writes (more ids than one write takes)', () => {
    const set = new TempIdSet(db, 'marked');
    // 100,000 ids, each twice in a row (counted once), then the first 1,000 again later.
    for (let i = 0; i < 100_000; i++) {
      set.add(i);
      set.add(i);
    }
    for (let i = 0; i < 1000; i++) set.add(i);
    set.write();
    expect(set.added).toBe(101_000);
    const stored = rows();
    expect(stored).toHaveLength(100_000);
    expect(stored[0]).toBe(0);
    expect(stored.at(-1)).toBe(99_999);
  });

  it('starts empty, even over a table left by an earlier set, and clears', () => {
    const first = new TempIdSet(db, 'marked');
    first.add(7);
    first.write();
    const second = new TempIdSet(db, 'marked');
    expect(rows()).toEqual([]);
    second.add(3);
    second.add(5);
    second.write();
    expect(rows()).toEqual([3, 5]);
    second.add(9);
    second.clear();
    second.write();
    expect([rows(), second.added]).toEqual([[], 0]);
  });
});
