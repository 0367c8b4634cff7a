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
    expect(r.ledgerSize).toBe(27);
    expect(r.coordinator).toMatchObject({ logSize: 2, nodeCheckpoints: 2 });
    expect(r.compliance.releases).toMatchObject([
      { seq: 20, jobId: 'job-1', purpose: 'analytics', epsilon: 0.5 },
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

  it('a deleted row: caught by the chain at the gap (and the checkpoint of 22 entries no longer fits)', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_delete');
    f.db.prepare('DELETE FROM ledger WHERE seq = 12').run();
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 12 });
    expect(r.checks.find((c) => c.check === 'checkpoint_roots')).toMatchObject({
      ok: false,
      firstBadSeq: 12,
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
    // The attacker controls the node: cuts the ledger at 15 entries, appends a different
    // history, and replaces every local Merkle table and checkpoint with freshly signed ones.
    db.exec('DROP TRIGGER ledger_no_delete');
    db.exec('DELETE FROM ledger WHERE seq >= 15; DELETE FROM ledger_private WHERE seq >= 15;');
    db.exec(
      'DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_checkpoint_receipts; DELETE FROM ledger_checkpoints;'
    );
    for (let i = 0; i < 14; i++)
      appendLedgerEntry(db, { type: 'import', body: { file: `forged${i}.csv`, rows: i } });
    const forged = createLedgerCheckpoint(db, f.ctx.identity);

    const local = await f.audit(false);
    expect(failed(local)).toEqual([]);
    expect(local.ok).toBe(true);
    expect(local.ledgerSize).toBe(29);

    const withLog = await f.audit(true);
    expect(withLog.ok).toBe(false);
    expect(withLog.firstFailure?.check).toBe('coordinator_consistency');
    // The checkpoint of 11 entries still matches, the one of 22 does not: the rewrite starts in [11, 22).
    expect(withLog.firstFailure?.firstBadSeq).toBe(11);
    expect(withLog.firstFailure?.detail).toContain('[11, 22)');
    expect(failed(withLog)).toEqual(['coordinator_consistency']);

    // And the coordinator refuses (and records) the forged checkpoint if the node sends it.
    const res = await f.coordinator.app.request(
      '/v1/node/checkpoints',
      signedCheckpointPost(f, {
        version: 1,
        checkpoint: forged.checkpoint,
        fromSize: 22,
        consistencyProof: ledgerConsistencyProof(db, 22, 29),
      })
    );
    expect(res.status).toBe(409);
    const refusals = await (
      await f.coordinator.app.request('/v1/transparency/refusals', {
        headers: { authorization: `Bearer ${TOKEN}` },
      })
    ).json();
    expect(refusals).toMatchObject({
      refusals: [{ node: 'node-t', treeSize: 29, previousTreeSize: 22 }],
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
