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

  it('delete: entry 12', async () => {
    const f = await tamperFixture(nodes);
    f.db.exec('DROP TRIGGER ledger_no_delete');
    f.db.prepare('DELETE FROM ledger WHERE seq = 12').run();
    expect((await f.audit(true)).firstFailure).toMatchObject({ check: 'chain', firstBadSeq: 12 });
    expect(await ledgerVerifySeq(f)).toBe(12);
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

  it('truncate at 20: entry 20, the first one missing (the signed checkpoint of 22 covers it)', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 20, 0, false);
    expect((await f.audit(false)).firstFailure).toMatchObject({
      check: 'checkpoint_roots',
      firstBadSeq: 20,
    });
    expect(await ledgerVerifySeq(f)).toBe(20);
  });

  it('truncate at 15 and re-append: entry 11 at the lowest, the range [11, 22) named', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 15, 14, false);
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 11 });
    expect(r.firstFailure?.detail).toContain('the first changed entry is in [11, 22)');
    expect(await ledgerVerifySeq(f)).toBe(11);
  });

  it('truncate and re-append with every local table re-signed: the coordinator log names 11', async () => {
    const f = await tamperFixture(nodes);
    rewriteFrom(f, 15, 14, true);
    expect((await f.audit(false)).ok).toBe(true);
    expect((await f.audit(true)).firstFailure).toMatchObject({
      check: 'coordinator_consistency',
      firstBadSeq: 11,
    });
  });

  it('suffix rewrite of one entry between two logged checkpoints: exactly entry 27', async () => {
    const f = await tamperFixture(nodes);
    expect(await f.sendCheckpoint()).toBe(27);
    appendLedgerEntry(f.db, { type: 'import', body: { file: 'h.csv', rows: 1 } });
    expect(await f.sendCheckpoint()).toBe(28);
    rewriteFrom(f, 27, 1, false); // same size: 28 entries, entry 27 replaced, chain valid
    const r = await f.audit(true);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 27 });
    expect(r.firstFailure?.detail).toContain('entry 27 was changed');
    expect(await ledgerVerifySeq(f)).toBe(27);
  });

  it("a local checkpoint removed does not hide what the coordinator's receipted log proves intact", async () => {
    const f = await tamperFixture(nodes);
    // The attacker drops the stored checkpoint of 11 entries (and its receipt), then rewrites from 15.
    f.db.exec(
      'DELETE FROM ledger_checkpoint_receipts WHERE checkpoint_id IN (SELECT id FROM ledger_checkpoints WHERE tree_size = 11); DELETE FROM ledger_checkpoints WHERE tree_size = 11;'
    );
    rewriteFrom(f, 15, 12, false);
    const r = await f.audit(true);
    expect(r.firstFailure).toMatchObject({ check: 'checkpoint_roots', firstBadSeq: 11 });
    expect(r.checks.find((c) => c.check === 'coordinator_consistency')).toMatchObject({
      ok: false,
      firstBadSeq: 11,
    });
  });

  it("a rewrite after the last checkpoint that the node's persisted Merkle state saw: entry 22 at the lowest", async () => {
    const f = await tamperFixture(nodes);
    expect(syncLedgerMerkle(f.db).size).toBe(27);
    rewriteFrom(f, 24, 3, false);
    const r = await f.audit(false);
    expect(r.firstFailure).toMatchObject({ check: 'merkle_state', firstBadSeq: 22 });
    expect(r.firstFailure?.detail).toContain('the first changed entry is in [22, 27)');
  });
});
