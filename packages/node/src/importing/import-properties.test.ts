import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { initNode, loadIdentity, type NodeIdentity } from '../identity/index.ts';
import { ledgerSize } from '../ledger/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { ImportError, importCsv } from './index.ts';

let root: string;
let id: NodeIdentity;
let n = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'import-prop-'));
  await initNode({ dir: join(root, 'id'), name: 'p' });
  id = loadIdentity(join(root, 'id'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function freshDb() {
  return openNodeDatabase(join(root, `db-${n++}`));
}

function write(rows: string[]): string {
  const file = join(root, `f-${n++}.csv`);
  writeFileSync(
    file,
    `customer_id,time,type,amount,channel,category\n${rows.map((r) => `${r}\n`).join('')}`
  );
  return file;
}

// A small domain so that files share and repeat rows often.
const row = fc
  .record({
    c: fc.constantFrom('C1', 'C2', 'C3'),
    d: fc.constantFrom('2024-01-01', '2024-01-02'),
    t: fc.constantFrom('purchase', 'visit'),
    a: fc.constantFrom('1', '2.5'),
    ch: fc.constantFrom('web', ''),
  })
  .map((r) => `${r.c},${r.d},${r.t},${r.t === 'visit' ? '' : r.a},${r.ch},x`);

function multiset(rows: string[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

/** Importing A then B keeps, per distinct row, max(count in A, count in B) copies. */
async function keepsMax(a: string[], b: string[]): Promise<void> {
  const db = freshDb();
  try {
    await importCsv(db, id, { kind: 'events', file: write(a) });
    const rb = await importCsv(db, id, { kind: 'events', file: write(b) });
    const ma = multiset(a);
    const mb = multiset(b);
    const keys = new Set([...ma.keys(), ...mb.keys()]);
    let expected = 0;
    let added = 0;
    for (const k of keys) {
      expected += Math.max(ma.get(k) ?? 0, mb.get(k) ?? 0);
      added += Math.max(0, (mb.get(k) ?? 0) - (ma.get(k) ?? 0));
    }
    expect(db.prepare('SELECT count(*) FROM events').pluck().get()).toBe(expected);
    expect(rb.rowsInserted).toBe(added);
    expect(rb.rowsUnchanged).toBe(b.length - added);
    // And importing B once more changes nothing.
    const again = await importCsv(db, id, { kind: 'events', file: write(b) });
    expect(again.rowsInserted).toBe(0);
  } finally {
    db.close();
  }
}

describe('import properties', () => {
  it('importing A then B keeps, per distinct row, max(count in A, count in B) copies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { maxLength: 12 }),
        fc.array(row, { maxLength: 12 }),
        keepsMax
      ),
      { numRuns: 25 }
    );
  });

  it('keeps the same counts where rows are written 50 to a statement (large files, some repeats)', async () => {
    // Mostly distinct rows, so most 50-row batches insert cleanly and some meet a repeat.
    const wide = fc
      .record({ c: fc.integer({ min: 1, max: 40 }), d: fc.integer({ min: 1, max: 28 }), row })
      .map(({ c, d, row: r }) =>
        r.replace(/^C\d,2024-01-0\d/, `W${c},2024-02-${String(d).padStart(2, '0')}`)
      );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(wide, wide, row), { minLength: 60, maxLength: 200 }),
        fc.array(fc.oneof(wide, wide, row), { minLength: 60, maxLength: 200 }),
        keepsMax
      ),
      { numRuns: 12 }
    );
  });

  it('a file with one corrupted cell fails with ImportError naming it, and changes nothing', async () => {
    const corrupt = fc.constantFrom('2024-02-30', 'yesterday', '12,5', '€3', 'bounce');
    await fc.assert(
      fc.asyncProperty(
        fc.array(row, { minLength: 1, maxLength: 10 }),
        fc.nat(),
        corrupt,
        async (rows, at, bad) => {
          const db = freshDb();
          try {
            await importCsv(db, id, {
              kind: 'events',
              file: write(['C9,2023-12-31,purchase,1,web,x']),
            });
            const before = {
              events: db.prepare('SELECT count(*) FROM events').pluck().get(),
              ledger: ledgerSize(db),
            };
            const i = at % rows.length;
            const cells = (rows[i] as string).split(',');
            const column = bad === '12,5' || bad === '€3' ? 3 : 1;
            cells[3] = '1';
            cells[2] = 'purchase';
            cells[column] = bad.includes(',') ? `"${bad}"` : bad;
            const bent = [...rows];
            bent[i] = cells.join(',');
            const err = await importCsv(db, id, { kind: 'events', file: write(bent) }).then(
              () => null,
              (e: unknown) => e
            );
            expect(err).toBeInstanceOf(ImportError);
            expect((err as ImportError).line).toBe(i + 2);
            expect((err as ImportError).column).toBe(column === 3 ? 'amount' : 'time');
            expect({
              events: db.prepare('SELECT count(*) FROM events').pluck().get(),
              ledger: ledgerSize(db),
            }).toEqual(before);
          } finally {
            db.close();
          }
        }
      ),
      { numRuns: 20 }
    );
  });
});
