import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type Database from 'better-sqlite3';
import {
  bytesToHex,
  hexToBytes,
  leafHash,
  rootFromLeafHashes,
  sortedSetOf,
  sortedSetRoot,
  verifyNonMembership,
} from '@fedmark/protocol';
import { ANALYTICS_POLICY, regionQuery } from '../_testing/region-release.ts';
import { useTempDatabase } from '../_testing/temp-node.ts';
import { memoryUnitSource } from '../analytics/index.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/identity.ts';
import { listLedger } from '../ledger/index.ts';
import {
  UNITS_CHUNK,
  commitUnits,
  pseudonymWriter,
  sortPacked,
  unitsTree,
} from './_units-commit.ts';
import { releaseSegmentStats } from './index.ts';
import { releaseNonMembership, releaseUnitsReader } from './release-units.ts';

const pepper = new Uint8Array(32).map((_, i) => i * 7 + 1);
const identity = { name: 'node-u', pepper } as Pick<NodeIdentity, 'name' | 'pepper'>;
const pseudonym = (id: string): string => pseudonymFor(identity as NodeIdentity, id);
const sha = (s: string): Buffer => createHash('sha256').update(s).digest();

describe('units commitment (bulk path)', () => {
  it('pseudonymWriter writes exactly pseudonymFor (HMAC-SHA256 of "customer:" + id)', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80, unit: 'grapheme' }), (id) => {
        const out = Buffer.alloc(40);
        const w = pseudonymWriter(pepper);
        w.write(id, out, 8);
        w.dispose();
        expect(out.subarray(8).toString('hex')).toBe(pseudonym(id));
      }),
      { numRuns: 200 }
    );
  });

  it('sortPacked equals sortedSetOf, with repeats and items sharing their first 4 bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(40), { maxLength: 60 }), fc.nat(), (picks, salt) => {
        // Items 0..40; every even one shares its first 4 bytes with the next.
        const base = Array.from({ length: 41 }, (_, i) => {
          const b = sha(`item-${salt}-${i >> 1}`);
          if (i % 2 === 1) b[31] = (b[31] as number) ^ 0xff;
          return b;
        });
        const chosen = picks.map((p) => base[p] as Buffer);
        const sorted = sortPacked(Buffer.concat(chosen), chosen.length);
        expect(sorted.toString('hex')).toBe(
          Buffer.concat(sortedSetOf(chosen.map((b) => new Uint8Array(b)))).toString('hex')
        );
      }),
      { numRuns: 200 }
    );
  });

  it('unitsTree roots equal the RFC 6962 root, and full-chunk roots the level-12 subtrees', () => {
    for (const n of [
      0,
      1,
      2,
      3,
      5,
      UNITS_CHUNK - 1,
      UNITS_CHUNK,
      UNITS_CHUNK + 1,
      2 * UNITS_CHUNK + 3,
    ]) {
      const items = sortedSetOf(Array.from({ length: n }, (_, i) => new Uint8Array(sha(`u${i}`))));
      const { root, chunkRoots } = unitsTree(Buffer.concat(items));
      expect(root.toString('hex')).toBe(bytesToHex(sortedSetRoot(items)));
      expect(chunkRoots.length).toBe(Math.floor(n / UNITS_CHUNK));
      chunkRoots.forEach((c, k) => {
        expect(c.toString('hex')).toBe(
          bytesToHex(
            rootFromLeafHashes(
              items.slice(k * UNITS_CHUNK, (k + 1) * UNITS_CHUNK).map((x) => leafHash(x))
            )
          )
        );
      });
    }
  });

  it('commitUnits de-duplicates ids and counts distinct customers', () => {
    const c = commitUnits(pepper, ['b', 'a', 'b', 'c']);
    expect(c.count).toBe(3);
    const expected = ['a', 'b', 'c'].map(pseudonym).sort();
    expect(c.sorted.toString('hex')).toBe(expected.join(''));
    expect(c.root).toBe(bytesToHex(sortedSetRoot(expected.map(hexToBytes))));
  });
});

describe('releases commit to the customers they read', () => {
  let db: Database.Database;
  useTempDatabase('fedmark-units-', (t) => ({ db } = t));

  const query = regionQuery(1);
  const policy = ANALYTICS_POLICY;

  it('records unitsRoot/unitsCount on the release entry and keeps the sorted pseudonyms beside the ledger', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `cust-${i}`);
    const source = memoryUnitSource({
      customers: ids.map((customerId, i) => ({
        customerId,
        signupDay: 20_000,
        attributes: { region: i % 2 ? 'north' : 'south' },
      })),
      asOf: '2026-11-01',
    });
    const r = releaseSegmentStats(
      { db, identity, policy },
      { query, source, jobId: 'job-u', round: 0 }
    );
    expect(r.reused).toBe(false);
    const entry = listLedger(db, { type: 'release' })[0];
    const expected = ids.map(pseudonym).sort();
    expect(entry?.body['unitsCount']).toBe(30);
    expect(entry?.body['unitsRoot']).toBe(bytesToHex(sortedSetRoot(expected.map(hexToBytes))));
    const seq = entry?.seq as number;
    const reader = releaseUnitsReader(db, seq);
    expect([...reader.all()].map(bytesToHex)).toEqual(expected);

    const root = hexToBytes(entry?.body['unitsRoot'] as string);
    const outsider = hexToBytes(pseudonym('never-a-customer'));
    const proof = releaseNonMembership(db, seq, outsider);
    expect(verifyNonMembership(outsider, proof, 30, root)).toBe(true);
    expect(releaseNonMembership(db, seq, hexToBytes(pseudonym('cust-7')))).toBeNull();
    // The list is append-only (an erasure must not remove it).
    expect(() => db.prepare('DELETE FROM release_units').run()).toThrow(
      'release_units is append-only'
    );
  });

  it('a release over more than one chunk proves non-membership through the stored chunk roots', () => {
    const n = UNITS_CHUNK + 100;
    const ids = Array.from({ length: n }, (_, i) => `c${i}`);
    const source = memoryUnitSource({
      customers: ids.map((customerId) => ({
        customerId,
        signupDay: 20_000,
        attributes: { region: 'north' },
      })),
      asOf: '2026-11-01',
    });
    releaseSegmentStats({ db, identity, policy }, { query, source, jobId: 'job-big', round: 0 });
    const entry = listLedger(db, { type: 'release' })[0];
    expect(entry?.body['unitsCount']).toBe(n);
    const chunks = db
      .prepare(
        'SELECT chunk, length(pseudonyms) AS bytes, chunk_root IS NOT NULL AS hasRoot FROM release_units ORDER BY chunk'
      )
      .all();
    expect(chunks).toEqual([
      { chunk: 0, bytes: UNITS_CHUNK * 32, hasRoot: 1 },
      { chunk: 1, bytes: 100 * 32, hasRoot: 0 },
    ]);
    const root = hexToBytes(entry?.body['unitsRoot'] as string);
    for (const who of ['x-1', 'x-2', 'x-3']) {
      const p = hexToBytes(pseudonym(who));
      expect(
        verifyNonMembership(p, releaseNonMembership(db, entry?.seq as number, p), n, root)
      ).toBe(true);
    }
  });

  it('refuses to release units without the pepper that pseudonymises them', () => {
    const source = memoryUnitSource({
      customers: [{ customerId: 'a', signupDay: 20_000, attributes: {} }],
      asOf: '2026-11-01',
    });
    expect(() =>
      releaseSegmentStats(
        { db, identity: { name: 'node-u' }, policy },
        { query, source, jobId: 'job-np', round: 0 }
      )
    ).toThrow('"ctx.identity.pepper" is needed');
    expect(listLedger(db, { type: 'release' })).toEqual([]);
  });
});
