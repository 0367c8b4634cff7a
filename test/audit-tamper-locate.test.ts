import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../packages/node/src/_testing/run-cli.ts';
import { removeTempNode, type TempNode } from '../packages/node/src/_testing/temp-node.ts';
import { rewriteFrom, tamperFixture, type Fixture } from './support/tamper-fixture.ts';
import { appendLedgerEntry, syncLedgerMerkle } from '../packages/node/src/ledger/index.ts';

// One test per tamper class (docs/audit.md "What each kind of tampering looks like"): the audit
// and `fedmark node ledger verify` name the first altered entry, or the lowest one it can be.
const nodes: TempNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) removeTempNode(n);
});

/** The seq `fedmark node ledger verify` names (exit 13), or null when it passes. */
async function ledgerVerifySeq(f: Fixture): Promise<number | null> {
  const r = await runCli('node', 'ledger', 'verify', '--dir', f.dir);
  if (r.code === 0) return null;
  expect(r.code).toBe(13);
  const m = /failed at entry seq (\d+)/.exec(r.err);
  return m ? Number(m[1]) : -1;
}

describe('tamper classes: the first altered entry is named', () => {
  it('edit: entry 7', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_update');
    f.db.prepare('UPDATE ledger SET body = ? WHERE seq = 7').run('{"file":"f6.csv","rows":600}');
    expect((await f.audit(true)).firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 7 });
    expect(await ledgerVerifySeq(f)).toBe(7);
  });

  it('delete: entry 66', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_delete');
    f.db.prepare('DELETE FROM ledger WHERE seq = 66').run();
    expect((await f.audit(true)).firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 66 });
    expect(await ledgerVerifySeq(f)).toBe(66);
  });

  it('swap: entry 3', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_update');
    f.db.exec(
      'UPDATE ledger SET seq = -1 WHERE seq = 3; UPDATE ledger SET seq = 3 WHERE seq = 4; UPDATE ledger SET seq = 4 WHERE seq = -1;'
    );
    expect((await f.audit(true)).firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 3 });
    expect(await ledgerVerifySeq(f)).toBe(3);
  });

  it('truncate at 70: entry 70, the first one missing (the signed checkpoint of 128 covers it)', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 70, 0, false);
    expect((await f.audit(false)).firstFailure).toMatchObject({
      check: 'checkpoint_roots',
      firstBadSeq: 70,
    });
    expect(await ledgerVerifySeq(f)).toBe(70);
  });

  it('truncate at 70 and re-append: entry 64 at the lowest, the range [64, 128) named', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 70, 66, false);
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 64 });
    expect(r.firstFailure?.detail).toContain('the first changed entry is in [64, 128)');
    expect(await ledgerVerifySeq(f)).toBe(64);
  });

  it('truncate and re-append with every local table re-signed: the coordinator log names 64', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 70, 66, true);
    expect((await f.audit(false)).ok).toBe(true);
    expect((await f.audit(true)).firstFailure).toMatchObject({
      check: 'coordinator_consistency',
      firstBadSeq: 64,
    });
  });

  // Padded checkpoints are a bucket apart (docs/audit.md "Checkpoint padding"), so a rewrite
  // between two of them is placed in their range: the old exact case (checkpoints of 27 and 28
  // entries) can no longer arise.
  it('suffix rewrite of one (padding) entry between two logged checkpoints: the range [192, 256)', async () => {
    const f = await tamperFixture(nodes);
    expect(await f.sendCheckpoint()).toBe(192);
    appendLedgerEntry(f.db, { type: 'import', body: { file: 'h.csv', rows: 1 } });
    expect(await f.sendCheckpoint()).toBe(256);
    rewriteFrom(f, 255, 1, false); // same size: 256 entries, padding entry 255 replaced, chain valid
    const r = await f.audit(true);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 192 });
    expect(r.firstFailure?.detail).toContain('the first changed entry is in [192, 256)');
    expect(await ledgerVerifySeq(f)).toBe(192);
  });

  it("a local checkpoint removed does not hide what the coordinator's receipted log proves intact", async () => {
    const f = await tamperFixture(nodes);
    // The attacker drops the stored checkpoint of 64 entries (and its receipt), then rewrites from 70.
    f.db.exec(
      'DELETE FROM ledger_checkpoint_receipts WHERE checkpoint_id IN (SELECT id FROM ledger_checkpoints WHERE tree_size = 64); DELETE FROM ledger_checkpoints WHERE tree_size = 64;'
    );
    rewriteFrom(f, 70, 63, false);
    const r = await f.audit(true);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 64 });
    expect(r.checks.find((c) => c.check === 'coordinator_consistency')).toMatchObject({
      ok: false,
      firstBadSeq: 64,
    });
  });

  it("a rewrite after the last checkpoint that the node's persisted Merkle state saw: entry 128 at the lowest", async () => {
    const f = await tamperFixture(nodes);
    expect(syncLedgerMerkle(f.db).size).toBe(133);
    rewriteFrom(f, 130, 3, false);
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'merkle_state', firstBadSeq: 128 });
    expect(r.firstFailure?.detail).toContain('the first changed entry is in [128, 133)');
  });
});
