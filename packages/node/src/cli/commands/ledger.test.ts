import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as cli } from '../../_testing/run-cli.ts';
import { createTempNode, removeTempNode, type TempNode } from '../../_testing/temp-node.ts';
import { appendLedgerEntry, createLedgerCheckpoint } from '../../ledger/index.ts';

// `fedmark node ledger` over a padded ledger (docs/audit.md "Checkpoint padding").
let node: TempNode;
beforeAll(async () => {
  node = await createTempNode('fedmark-cli-ledger-', 'ledger-cli');
  appendLedgerEntry(node.db, { type: 'import', body: { file: 'a.csv' } });
  createLedgerCheckpoint(node.db, node.identity);
  appendLedgerEntry(node.db, { type: 'import', body: { file: 'b.csv' } });
});
afterAll(() => removeTempNode(node));

const seqs = async (...args: string[]): Promise<number[]> => {
  const r = await cli('node', 'ledger', '--dir', node.dir, '--json', ...args);
  expect(r.code).toBe(0);
  return (JSON.parse(r.out) as { entries: { seq: number }[] }).entries.map((e) => e.seq);
};

describe('fedmark node ledger: padding', () => {
  it('lists entries without the padding, and the padding only with --type padding', async () => {
    expect(await seqs()).toEqual([0, 1, 64]); // node_initialized, a.csv, b.csv
    expect(await seqs('--type', 'padding')).toEqual(Array.from({ length: 62 }, (_, i) => 2 + i));
    const table = await cli('node', 'ledger', '--dir', node.dir);
    expect(table.out).not.toContain('padding');
  });

  it('verifies the padded ledger', async () => {
    const r = await cli('node', 'ledger', 'verify', '--dir', node.dir, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, size: 65 });
  });
});
