import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { useTempNode } from '../_testing/temp-node.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { ledgerSize } from '../ledger/index.ts';
import { createUtf8Check, firstInvalidUtf8 } from './_utf8.ts';
import { ImportError, importCsv } from './index.ts';

let dir: string;
let db: Database.Database;
let id: NodeIdentity;
useTempNode('import-enc-', 'n1', (t) => ({ root: dir, db, identity: id } = t));

function bytesFile(name: string, ...parts: (string | number[])[]): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    Buffer.concat(
      parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p)))
    )
  );
  return file;
}

const ids = (): string[] =>
  db.prepare('SELECT customer_id FROM customers ORDER BY customer_id').pluck().all() as string[];

describe('importCsv: encodings', () => {
  it('refuses Latin-1 bytes in a UTF-8 import, naming line, column and byte offset; nothing is written', async () => {
    // "K\xfc1" and "K\xe41": Latin-1 for Kü1 and Kä1, which a replacing decoder would merge.
    const file = bytesFile(
      'customers.csv',
      'customer_id,city\nK',
      [0xfc],
      '1,Lyon\nK',
      [0xe4],
      '1,Nice\n'
    );
    const before = ledgerSize(db);
    const err = await importCsv(db, id, { kind: 'customers', file }).then(
      () => null,
      (e: unknown) => e
    );
    expect(err).toBeInstanceOf(ImportError);
    const e = err as ImportError;
    expect(e.code).toBe('IMPORT_INVALID');
    expect([e.line, e.column, e.byteOffset]).toEqual([2, 'customer_id', 18]);
    expect(e.message).toBe(
      'customers.csv:2: column "customer_id": invalid UTF-8 at byte offset 18 (byte 2 of line 2): byte 0xfc is not valid here; if the file is Latin-1, import it with --encoding latin1'
    );
    expect(ids()).toEqual([]);
    expect(ledgerSize(db)).toBe(before);
  });

  it('imports the same bytes as two customers with --encoding latin1', async () => {
    const file = bytesFile(
      'customers.csv',
      'customer_id,city\nK',
      [0xfc],
      '1,Lyon\nK',
      [0xe4],
      '1,Nice\n'
    );
    const r = await importCsv(db, id, { kind: 'customers', file, encoding: 'latin1' });
    expect(r).toMatchObject({ rowsRead: 2, rowsInserted: 2 });
    expect(ids()).toEqual(['Kä1', 'Kü1']);
  });

  it('accepts a multi-byte character straddling two read chunks (1 MiB) and locates a bad byte past it', async () => {
    // Filler rows so that "é" (0xc3 0xa9) begins on the last byte of the first 1 MiB chunk.
    const head = 'customer_id,note\n';
    const rows = Array.from(
      { length: 10_480 },
      (_, i) => `F${String(i).padStart(5, '0')},${'x'.repeat(92)}\n`
    ).join('');
    const pad = 'y'.repeat((1 << 20) - head.length - rows.length - 'C1,'.length - 1);
    const good = bytesFile('ok.csv', head, rows, `C1,${pad}`, [0xc3, 0xa9], '\nC2,b\n');
    const r = await importCsv(db, id, { kind: 'customers', file: good });
    expect(r).toMatchObject({ rowsRead: 10_482, rowsInserted: 10_482 });
    const note = db
      .prepare("SELECT json_extract(attributes, '$.note') FROM customers WHERE customer_id = 'C1'")
      .pluck()
      .get() as string;
    expect([note.length, note.endsWith('yé')]).toEqual([pad.length + 1, true]);
    const bad = bytesFile('bad.csv', head, rows, `C3,${pad}`, [0xc3, 0xa9], '\nC4,a', [0xff], '\n');
    const e = (await importCsv(db, id, { kind: 'customers', file: bad }).catch(
      (x: unknown) => x
    )) as ImportError;
    expect([e.line, e.column, e.byteOffset]).toEqual([10_483, 'note', (1 << 20) + 1 + 5]);
  });

  it('refuses a character cut off by the end of the file, and an overlong form', async () => {
    const cut = bytesFile('cut.csv', 'customer_id\nC1\nC', [0xe2, 0x82]);
    const e1 = (await importCsv(db, id, { kind: 'customers', file: cut }).catch(
      (x: unknown) => x
    )) as ImportError;
    expect([e1.line, e1.column, e1.byteOffset]).toEqual([3, 'customer_id', 16]);
    const overlong = bytesFile('overlong.csv', 'customer_id\nC', [0xc0, 0xaf], '\n');
    const e2 = (await importCsv(db, id, { kind: 'customers', file: overlong }).catch(
      (x: unknown) => x
    )) as ImportError;
    expect([e2.line, e2.byteOffset]).toEqual([2, 13]);
    expect(ids()).toEqual([]);
  });
});

describe('the streaming UTF-8 check', () => {
  it('finds the first bad byte whatever the chunk boundaries', () => {
    const bytes = Buffer.concat([
      Buffer.from('aé€𝄞'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('z'),
    ]);
    expect(firstInvalidUtf8(bytes)).toBe(10); // a surrogate (U+D800) encoded: not UTF-8
    for (let size = 1; size <= 5; size++) {
      const check = createUtf8Check();
      let found: number | null = null;
      for (let i = 0; i < bytes.length && found === null; i += size)
        found = check.push(bytes.subarray(i, i + size));
      expect([size, found]).toEqual([size, 10]);
    }
    const clean = createUtf8Check();
    const text = Buffer.from('aé€𝄞b');
    for (let i = 0; i < text.length; i++) expect(clean.push(text.subarray(i, i + 1))).toBe(null);
    expect(clean.end()).toBe(null);
  });
});
