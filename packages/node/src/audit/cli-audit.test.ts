import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type Database from 'better-sqlite3';
import { bytesToHex, signingKeyPairFromSeed } from '@fedmark/protocol';
import { createCoordinator } from '../../../coordinator/src/app.ts';
import { openStore } from '../../../coordinator/src/store/index.ts';
import { run } from '../cli/main.ts';
import type { CliIo } from '../cli/io.ts';
import { createCoordinatorClient } from '../federation/client.ts';
import type { AgentContext } from '../federation/context.ts';
import { sendCheckpointIfDue } from '../federation/checkpoint-sender.ts';
import { COORDINATOR_FILE } from '../federation/enroll.ts';
import { initNode, loadIdentity } from '../identity/index.ts';
import { appendLedgerEntry } from '../ledger/index.ts';
import { loadPolicy } from '../policy/index.ts';
import { openNodeDatabase } from '../store/index.ts';

const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(5));
const TOKEN = 'operator-token-cli-audit';
let dir: string;
let url: string;
let server: ServerType;
let db: Database.Database;

async function cli(env: Record<string, string>, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), stderrIsTTY: false, env };
  const code = await run(argv, io);
  return { code, out, err };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cli-audit-'));
  await initNode({ dir, name: 'node-cli' });
  const identity = loadIdentity(dir);
  writeFileSync(join(dir, COORDINATOR_FILE), JSON.stringify({ version: 1, url: 'x', coordinatorKey: bytesToHex(COORD.publicKey), enrolledAt: new Date().toISOString() }));
  const coordinator = createCoordinator({ store: openStore(':memory:'), coordinatorKey: COORD, operatorToken: TOKEN, log: () => {}, timers: false });
  server = await new Promise((resolve) => {
    const s = serve({ fetch: coordinator.app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await fetch(`${url}/v1/admin/nodes`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'node-cli', signingKey: bytesToHex(identity.signing.publicKey), boxKey: bytesToHex(identity.box.publicKey) }),
  });
  db = openNodeDatabase(dir);
  for (let i = 0; i < 12; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  const ctx: AgentContext = {
    dir,
    identity,
    db,
    client: createCoordinatorClient({ coordinatorUrl: url, identity }),
    log: () => {},
    release: () => {
      throw new Error('unused');
    },
    policy: () => loadPolicy(dir),
    source: () => {
      throw new Error('unused');
    },
    now: () => Date.now(),
    coordinatorKey: COORD.publicKey,
  };
  expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
});
afterAll(async () => {
  db.close();
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

describe('fedmark audit verify --coordinator (real HTTP)', () => {
  it('passes, then exits 13 naming coordinator_consistency after a rewrite with a valid chain', async () => {
    const ok = await cli({}, 'audit', 'verify', '--node-dir', dir, '--coordinator', url, '--token', TOKEN, '--json');
    expect(ok.code).toBe(0);
    const report = JSON.parse(ok.out) as { ok: boolean; coordinator: { logSize: number }; checks: { check: string; ok: boolean }[] };
    expect(report.ok).toBe(true);
    expect(report.coordinator.logSize).toBe(1);
    expect(report.checks.filter((c) => c.check.startsWith('coordinator_')).map((c) => c.ok)).toEqual([true, true, true, true]);

    db.exec('DROP TRIGGER ledger_no_delete');
    db.exec('DELETE FROM ledger WHERE seq >= 6; DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_checkpoint_receipts; DELETE FROM ledger_checkpoints;');
    for (let i = 0; i < 9; i++) appendLedgerEntry(db, { type: 'import', body: { forged: i } });
    expect((await cli({}, 'audit', 'verify', '--node-dir', dir)).code).toBe(0);
    const bad = await cli({ FEDMARK_TOKEN: TOKEN }, 'audit', 'verify', '--node-dir', dir, '--coordinator', url);
    expect(bad.code).toBe(13);
    expect(bad.out).toContain('Audit of node node-cli: FAILED');
    expect(bad.out).toContain('[FAIL] coordinator_consistency');
    expect(bad.err).toMatch(/^fedmark: ledger verification failed at entry seq 0: coordinator-logged checkpoint of 13 entries .* \(check coordinator_consistency\)\n$/);
  });

  it('--coordinator without a token is a usage error', async () => {
    const r = await cli({}, 'audit', 'verify', '--node-dir', dir, '--coordinator', url);
    expect(r.code).toBe(2);
    expect(r.err).toContain('--token');
  });
});
