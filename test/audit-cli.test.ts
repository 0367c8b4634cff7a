import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signingKeyPairFromSeed } from '@fedmark/protocol';
import { checkpointOnlyContext } from '../packages/node/src/_testing/checkpoint-context.ts';
import { runCliWithEnv as cli } from '../packages/node/src/_testing/run-cli.ts';
import { serveLocal, type LocalServer } from '../packages/node/src/_testing/serve-local.ts';
import {
  admitNode,
  startTestCoordinator,
  writeCoordinatorFile,
} from './support/test-coordinator.ts';
import {
  createTempNode,
  removeTempNode,
  type TempNode,
} from '../packages/node/src/_testing/temp-node.ts';
import { createCoordinatorClient } from '../packages/node/src/federation/client.ts';
import { sendCheckpointIfDue } from '../packages/node/src/federation/checkpoint-sender.ts';
import { appendLedgerEntry } from '../packages/node/src/ledger/index.ts';

const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(5));
const TOKEN = 'operator-token-cli-audit';
let node: TempNode;
let dir: string;
let url: string;
let server: LocalServer;

beforeAll(async () => {
  node = await createTempNode('cli-audit-', 'node-cli');
  ({ dir } = node);
  const { identity, db } = node;
  writeCoordinatorFile(dir, 'x', COORD.publicKey);
  server = await serveLocal(startTestCoordinator(COORD, TOKEN).app.fetch);
  url = server.url;
  await admitNode(url, TOKEN, identity);
  for (let i = 0; i < 12; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  const ctx = checkpointOnlyContext({
    dir,
    identity,
    db,
    client: createCoordinatorClient({ coordinatorUrl: url, identity }),
    coordinatorKey: COORD.publicKey,
  });
  expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
});
afterAll(async () => {
  await server.close();
  removeTempNode(node);
});

describe('fedmark audit verify --coordinator (real HTTP)', () => {
  it('passes, then exits 13 naming coordinator_consistency after a rewrite with a valid chain', async () => {
    const ok = await cli(
      {},
      'audit',
      'verify',
      '--node-dir',
      dir,
      '--coordinator',
      url,
      '--token',
      TOKEN,
      '--json'
    );
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out) as {
      ok: boolean;
      coordinator: { logSize: number };
      checks: { check: string; ok: boolean }[];
    };
    expect(report.ok).toBe(true);
    expect(report.coordinator.logSize).toBe(1);
    expect(
      report.checks.filter((c) => c.check.startsWith('coordinator_')).map((c) => c.ok)
    ).toEqual([true, true, true, true]);

    const { db } = node;
    db.exec('DROP TRIGGER ledger_no_delete');
    db.exec(
      'DELETE FROM ledger WHERE seq >= 6; DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_checkpoint_receipts; DELETE FROM ledger_checkpoints;'
    );
    // 66 entries: past the logged checkpoint of 64 (13 entries padded, docs/audit.md), so the
    // roots are compared rather than the ledger found short.
    for (let i = 0; i < 60; i++) appendLedgerEntry(db, { type: 'import', body: { forged: i } });
    expect((await cli({}, 'audit', 'verify', '--node-dir', dir)).code).toBe(0);
    const bad = await cli(
      { FEDMARK_TOKEN: TOKEN },
      'audit',
      'verify',
      '--node-dir',
      dir,
      '--coordinator',
      url
    );
    expect(bad.code).toBe(13);
    expect(bad.out).toContain('Audit of node node-cli: FAILED');
    expect(bad.out).toContain('[FAIL] coordinator_consistency');
    expect(bad.err).toMatch(
      /^fedmark: ledger verification failed at entry seq 0: coordinator-logged checkpoint of 64 entries .* \(check coordinator_consistency\)\n$/
    );
  });

  it('--coordinator without a token is a usage error', async () => {
    const r = await cli({}, 'audit', 'verify', '--node-dir', dir, '--coordinator', url);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--token');
  });
});
