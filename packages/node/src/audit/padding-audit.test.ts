import { beforeEach, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { importRegionCustomers, releaseRegions } from '../_testing/region-release.ts';
import { useTempNode } from '../_testing/temp-node.ts';
import { eraseCustomer } from '../erasure/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { CHECKPOINT_BUCKET, createLedgerCheckpoint, listLedger } from '../ledger/index.ts';
import { auditNode, formatAuditReport, renderAuditHtml } from './index.ts';

// The audit over a padded ledger (docs/audit.md "Checkpoint padding"): padding verifies like any
// entry, is counted apart and never read as activity.
let root: string;
let dir: string;
let db: Database.Database;
let id: NodeIdentity;

const IDS = Array.from({ length: 6 }, (_, i) => `C${i}`);
useTempNode('audit-padding-', 'node-pad', (t) => ({ root, dir, db, identity: id } = t));
beforeEach(async () => {
  await importRegionCustomers(db, id, root, IDS);
  createLedgerCheckpoint(db, id);
  releaseRegions(db, id, 'job-1');
  eraseCustomer(db, id, 'C2');
  createLedgerCheckpoint(db, id);
  releaseRegions(db, id, 'job-2');
  createLedgerCheckpoint(db, id);
});

const paddingSeqs = () => listLedger(db, { type: 'padding' }).map((e) => e.seq);

describe('audit of a padded ledger', () => {
  it('passes, counts padding apart, and reports only the real releases and erasures', async () => {
    const r = await auditNode({ dir, db });
    expect(r.checks.filter((c) => !c.ok)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.ledgerSize % CHECKPOINT_BUCKET).toBe(0);
    expect(r.checkpoints.map((c) => c.checkpoint.treeSize % CHECKPOINT_BUCKET)).toEqual([0, 0, 0]);
    expect(r.paddingEntries).toBe(paddingSeqs().length);
    expect(r.paddingEntries).toBeGreaterThan(0);
    expect(r.compliance.releases.map((x) => x.jobId)).toEqual(['job-1', 'job-2']);
    expect(r.compliance.erasures).toHaveLength(1);
    expect(formatAuditReport(r)).toContain(
      `; 3 stored checkpoint(s); ${r.paddingEntries} of the entries are checkpoint padding (they record nothing)\n`
    );
    expect(renderAuditHtml(r, { generatedAt: new Date(), toolVersion: 't' })).toContain(
      `<tr><th>of which checkpoint padding (records nothing)</th><td class="num">${r.paddingEntries}</td></tr>`
    );
  });

  it('names an edited padding entry, like any entry', async () => {
    const seq = paddingSeqs()[3] as number;
    db.exec('DROP TRIGGER ledger_no_update');
    db.prepare('UPDATE ledger SET body = ? WHERE seq = ?').run('{"erased":"C4"}', seq);
    const r = await auditNode({ dir, db });
    expect(r.ok).toBe(false);
    expect(r.firstFailure).toMatchObject({
      check: 'chain',
      firstBadSeq: seq,
      detail: `entry ${seq} was altered: its content no longer matches its hash`,
    });
    expect(r.checks.find((c) => c.check === 'checkpoint_roots')?.ok).toBe(false);
  });
});
