import { beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { dropLedgerMerkleCache, forgeReleaseUnits } from '../_testing/forge-release.ts';
import { importRegionCustomers, releaseRegions } from '../_testing/region-release.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { pseudonymFor, type NodeIdentity } from '../identity/index.ts';
import { appendLedgerEntry, listLedger } from '../ledger/index.ts';
import { releaseUnitsReader } from '../release/index.ts';
import { auditNode } from './index.ts';

let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;

const IDS = Array.from({ length: 12 }, (_, i) => `C${String(i).padStart(2, '0')}`);
const release = (jobId: string): number => releaseRegions(db, id, jobId);

useTempNode('audit-erasure-', 'node-e', (t) => ({ root, dir, db, identity: id } = t));
beforeEach(() => importRegionCustomers(db, id, root, IDS));

const check = (r: Awaited<ReturnType<typeof auditNode>>) =>
  r.checks.find((c) => c.check === 'erasure_honoured');

/**
 * Rewrites release entry `seq` as if the node had used `extra` too (see forgeReleaseUnits); the
 * Merkle cache and checkpoints are dropped (the node could re-sign them), so only
 * erasure_honoured can see it.
 */
function forgeUse(seq: number, extra: string): void {
  forgeReleaseUnits(db, seq, extra);
  dropLedgerMerkleCache(db);
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
    expect(check(ok)).toEqual({
      check: 'erasure_honoured',
      ok: true,
      detail:
        '1 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym',
    });

    forgeUse(after, erased);
    const bad = await auditNode({ dir, db });
    expect(bad.ok).toBe(false);
    expect(bad.checks.filter((c) => !c.ok).map((c) => c.check)).toEqual(['erasure_honoured']);
    expect(bad.firstFailure?.check).toBe('erasure_honoured');
    expect(bad.firstFailure?.firstBadSeq).toBe(after);
    expect(bad.firstFailure?.detail).toBe(
      `release entry ${after}: used the pseudonym ${erased.slice(0, 16)}… erased at entry ${after - 2}: it is among the release's committed units`
    );
  });

  it('names a release whose stored units are missing, and a proof that does not match the root', async () => {
    const erased = eraseCustomer(db, id, 'C05').pseudonym;
    const after = release('job-x');
    db.exec('DROP TRIGGER release_units_no_delete; DROP TRIGGER release_units_no_update;');
    // A different list (one customer dropped) under the same ledger root.
    const units = [...releaseUnitsReader(db, after).all()].slice(1);
    db.prepare('UPDATE release_units SET pseudonyms = ? WHERE release_seq = ?').run(
      Buffer.concat(units),
      after
    );
    const mismatch = await auditNode({ dir, db });
    expect(mismatch.firstFailure?.check).toBe('erasure_honoured');
    expect(mismatch.firstFailure?.detail).toMatch(
      new RegExp(
        `^release entry ${after}: the non-membership proof for pseudonym ${erased.slice(0, 16)}… .* does not verify against the release's unitsRoot$`
      )
    );

    db.prepare('DELETE FROM release_units WHERE release_seq = ?').run(after);
    const missing = await auditNode({ dir, db });
    expect(missing.firstFailure).toMatchObject({ check: 'erasure_honoured', firstBadSeq: after });
    expect(missing.firstFailure?.detail).toBe(
      `release entry ${after}: no non-membership proofs for the 1 pseudonym(s) erased before it: release_units holds no rows for it`
    );
  });

  it('reports releases without a commitment in the notes, not as failures', async () => {
    eraseCustomer(db, id, 'C01');
    const legacy = appendLedgerEntry(db, {
      type: 'release',
      body: { jobId: 'old', round: 0, kind: 'segment_stats', epsilonMicro: 1 },
    }).seq;
    const r = await auditNode({ dir, db });
    expect(check(r)?.ok).toBe(true);
    expect(check(r)?.detail).toBe(
      '0 (erasure, later release) pair(s) proven: no release after an erasure used the erased pseudonym; 1 later release(s) carry no units commitment (see notes)'
    );
    expect(r.notes.some((n) => n.startsWith(`no commitment: release entry ${legacy} `))).toBe(true);
  });
});
