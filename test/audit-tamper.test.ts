import { afterEach, describe, expect, it } from 'vitest';
import { removeTempNode, type TempNode } from '../packages/node/src/_testing/temp-node.ts';
import { TOKEN, signedCheckpointPost, tamperFixture } from './support/tamper-fixture.ts';
import {
  appendLedgerEntry,
  createLedgerCheckpoint,
  ledgerConsistencyProof,
} from '../packages/node/src/ledger/index.ts';
import { formatAuditReport, type AuditReport } from '../packages/node/src/audit/index.ts';

const nodes: TempNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) removeTempNode(n);
});

const failed = (r: AuditReport) => r.checks.filter((c) => !c.ok).map((c) => c.check);

describe('audit verify: tamper detection', () => {
  it('passes an untouched node, with the compliance report', async () => {
    const f = await tamperFixture(nodes);
    const r = await f.audit(true);
    expect(failed(r)).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.ledgerSize).toBe(133);
    expect(r.coordinator).toMatchObject({ logSize: 2, nodeCheckpoints: 2 });
    expect(r.compliance.releases).toMatchObject([
      { seq: 73, jobId: 'job-1', purpose: 'analytics', epsilon: 0.5 },
    ]);
    expect(r.compliance.refused).toMatchObject([{ jobId: 'job-2', reason: 'minCohort not met' }]);
    const analytics = r.compliance.purposes.find((p) => p.purpose === 'analytics');
    expect(analytics?.periods).toMatchObject([
      { period: 'month', spentEpsilon: 0.5, capEpsilon: 4, overCap: false },
    ]);
    expect(formatAuditReport(r)).toContain('Audit of node node-t: PASSED');
  });

  it('an edited row body: caught by the chain at that entry (and by the checkpoint roots)', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_update');
    f.db.prepare('UPDATE ledger SET body = ? WHERE seq = 7').run('{"file":"f6.csv","rows":600}');
    const r = await f.audit(false);
    expect(r.ok).toBe(false);
    expect(r.firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 7 });
    expect(failed(r)).toEqual(
      expect.arrayContaining(['chain', 'checkpoint_roots', 'merkle_state'])
    );
    expect(formatAuditReport(r)).toContain('First failure: entry seq 7, caught by check "chain"');
  });

  it('a deleted row: caught by the chain at the gap (and the checkpoint of 128 entries no longer fits)', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_delete');
    f.db.prepare('DELETE FROM ledger WHERE seq = 66').run();
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 66 });
    expect(r.checks.find((c) => c.check === 'checkpoint_roots')).toMatchObject({
      ok: false,
      firstBadSeq: 66,
    });
  });

  it('two rows swapped: caught by the chain at the first moved entry', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_update');
    f.db.exec(
      'UPDATE ledger SET seq = -1 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4; UPDATE ledger SET seq = 4 WHERE seq = -1;'
    );
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 3 });
    expect(failed(r)).toContain('checkpoint_roots');
  });

  it('a truncated and re-appended history with a valid chain: only the coordinator log catches it', async () => {
    const f = await tamperFixture(nodes);
    const { db } = f;
    // The attacker controls the node: cuts the ledger at 70 entries, appends a different
    // history, and replaces every local Merkle table and checkpoint with freshly signed ones.
    db.exec('DROP TRIGGER ledger_no_delete');
    db.exec('DELETE FROM ledger WHERE seq >= 70; DELETE FROM ledger_private WHERE seq >= 70;');
    db.exec(
      'DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_checkpoint_receipts; DELETE FROM ledger_checkpoints;'
    );
    for (let i = 0; i < 66; i++)
      appendLedgerEntry(db, { type: 'import', body: { file: `forged${i}.csv`, rows: i } });
    const forged = createLedgerCheckpoint(db, f.ctx.identity); // 136 entries, padded to 192

    const local = await f.audit(false);
    expect(failed(local)).toEqual([]);
    expect(local.ok).toBe(true);
    expect(local.ledgerSize).toBe(192);

    const withLog = await f.audit(true);
    expect(withLog.ok).toBe(false);
    expect(withLog.firstFailure?.check).toBe('coordinator_consistency');
    // The checkpoint of 64 entries still matches, the one of 128 does not: the rewrite starts in [64, 128).
    expect(withLog.firstFailure?.firstBadSeq).toBe(64);
    expect(withLog.firstFailure?.detail).toContain('[64, 128)');
    expect(failed(withLog)).toEqual(['coordinator_consistency']);

    // And the coordinator refuses (and records) the forged checkpoint if the node sends it.
    const res = await f.coordinator.app.request(
      '/v1/node/checkpoints',
      signedCheckpointPost(f, {
        version: 1,
        checkpoint: forged.checkpoint,
        fromSize: 128,
        consistencyProof: ledgerConsistencyProof(db, 128, 192),
      })
    );
    expect(res.status).toBe(409);
    const refusals = await (
      await f.coordinator.app.request('/v1/transparency/refusals', {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    expect(refusals).toMatchObject({
      refusals: [{ node: 'node-t', treeSize: 192, previousTreeSize: 128 }],
    });
  });

  it('a forged stored checkpoint signature and a receipt from another key are caught', async () => {
    const f = await tamperFixture(nodes);
    const row = f.db
      .prepare('SELECT id, json FROM ledger_checkpoints ORDER BY id LIMIT 1')
      .get() as { id: number; json: string };
    const cp = JSON.parse(row.json) as { signature: string };
    f.db
      .prepare('UPDATE ledger_checkpoints SET json = ? WHERE id = ?')
      .run(JSON.stringify({ ...cp, signature: 'ab'.repeat(64) }), row.id);
    const r = await f.audit(false);
    expect(r.firstFailure?.check).toBe('checkpoint_signatures');
    const rc = f.db
      .prepare(
        'SELECT checkpoint_id, json FROM ledger_checkpoint_receipts ORDER BY checkpoint_id DESC LIMIT 1'
      )
      .get() as { checkpoint_id: number; json: string };
    f.db
      .prepare('UPDATE ledger_checkpoint_receipts SET json = ? WHERE checkpoint_id = ?')
      .run(JSON.stringify({ ...JSON.parse(rc.json), logIndex: 5 }), rc.checkpoint_id);
    expect(failed(await f.audit(false))).toContain('receipts');
  });
});
