import type { openNodeDatabase } from '../../packages/node/src/store/index.ts';
/**
 * Internal test helper: the audit tamper fixture (docs/audit.md "What each kind of tampering looks
 * like"). A node with 133 entries whose checkpoints at 64 and 128 entries (each padded up to the
 * bucket, docs/audit.md "Checkpoint padding") are logged by an in-process coordinator, and a
 * helper to rewrite the ledger as an attacker who can write the file.
 */
import { expect } from 'vitest';
import { signNodeRequest, signingKeyPairFromSeed } from '@fedmark/protocol';
import type { Coordinator } from '../../packages/coordinator/src/app.ts';
import { checkpointOnlyContext } from '../../packages/node/src/_testing/checkpoint-context.ts';
import { admitNode, startTestCoordinator, writeCoordinatorFile } from './test-coordinator.ts';
import { createTempNode, type TempNode } from '../../packages/node/src/_testing/temp-node.ts';
import { createCoordinatorClient } from '../../packages/node/src/federation/client.ts';
import type { AgentContext } from '../../packages/node/src/federation/context.ts';
import { sendCheckpointIfDue } from '../../packages/node/src/federation/checkpoint-sender.ts';
import { appendLedgerEntry, createLedgerCheckpoint } from '../../packages/node/src/ledger/index.ts';
import { auditNode, type AuditReport } from '../../packages/node/src/audit/index.ts';

/** The node's better-sqlite3 connection (better-sqlite3 is the node package's dependency, not the root's). */
type NodeDb = ReturnType<typeof openNodeDatabase>;

export const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(42));
export const TOKEN = 'operator-token-audit';

export interface Fixture {
  dir: string;
  db: NodeDb;
  coordinator: Coordinator;
  ctx: AgentContext;
  audit(withCoordinator: boolean): Promise<AuditReport>;
  /** Moves the agent's clock past the hourly checkpoint and sends one (returns its size). */
  sendCheckpoint(): Promise<number | undefined>;
}

/**
 * A node with 133 entries: node_initialized and 10 imports (seq 0-10), padding to the checkpoint
 * of 64 the coordinator logs; 8 policy changes, a job accepted, its release (seq 73) and a refusal
 * (seq 64-74), padding to the checkpoint of 128 (sent for the release); then 5 imports (seq
 * 128-132). Node and coordinator run in-process over app.request.
 */
export async function tamperFixture(nodes: TempNode[]): Promise<Fixture> {
  const node = await createTempNode('audit-tamper-', 'node-t');
  nodes.push(node);
  const { dir, db, identity } = node;
  writeCoordinatorFile(dir, 'http://coordinator.test', COORD.publicKey);
  const coordinator = startTestCoordinator(COORD, TOKEN);
  await admitNode(coordinator, TOKEN, identity);
  const fetchApp = (url: string, init: RequestInit) =>
    Promise.resolve(coordinator.app.request(url, init));
  let clock = Date.now();
  const client = createCoordinatorClient({
    coordinatorUrl: 'http://coordinator.test',
    identity,
    fetch: fetchApp,
  });
  const ctx = checkpointOnlyContext({
    dir,
    identity,
    db,
    client,
    now: () => clock,
    coordinatorKey: COORD.publicKey,
  });
  const at = new Date();
  for (let i = 0; i < 10; i++)
    appendLedgerEntry(db, { type: 'import', body: { file: `f${i}.csv`, rows: i } });
  expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(0);
  for (let i = 0; i < 8; i++)
    appendLedgerEntry(db, {
      type: 'policy_change',
      body: { field: 'minCohort', from: i, to: i + 1 },
    });
  appendLedgerEntry(db, {
    type: 'job_accepted',
    body: {
      jobId: 'job-1',
      round: 0,
      kind: 'segment_stats',
      purpose: 'analytics',
      epsilonMicro: 500_000,
    },
    at,
  });
  appendLedgerEntry(db, {
    type: 'release',
    body: { jobId: 'job-1', round: 0, kind: 'segment_stats', epsilonMicro: 500_000 },
    at,
  });
  appendLedgerEntry(db, {
    type: 'job_refused',
    body: { jobId: 'job-2', round: 0, reason: 'minCohort not met' },
    at,
  });
  clock += 1000;
  expect((await sendCheckpointIfDue(ctx))?.checkpoint.treeSize).toBe(128);
  for (let i = 0; i < 5; i++)
    appendLedgerEntry(db, { type: 'import', body: { file: `g${i}.csv`, rows: i } });
  return {
    dir,
    db,
    coordinator,
    ctx,
    sendCheckpoint: async () => {
      clock += 3_600_001;
      return (await sendCheckpointIfDue(ctx))?.checkpoint.treeSize;
    },
    audit: (withCoordinator) =>
      auditNode({
        dir,
        db,
        ...(withCoordinator
          ? { coordinator: { url: 'http://coordinator.test', token: TOKEN, fetch: fetchApp } }
          : {}),
      }),
  };
}

/**
 * What an attacker who can write node.db does to rewrite history from entry `from` on: drops the
 * triggers, deletes entries >= from, appends `count` forged ones (a valid chain). With
 * `resign`, also replaces every local Merkle table and checkpoint with freshly signed ones.
 */
export function rewriteFrom(f: Fixture, from: number, count: number, resign: boolean): void {
  const { db } = f;
  db.exec('DROP TRIGGER IF EXISTS ledger_no_delete');
  db.prepare('DELETE FROM ledger_private WHERE seq >= ?').run(from);
  db.prepare('DELETE FROM ledger WHERE seq >= ?').run(from);
  if (resign)
    db.exec(
      'DELETE FROM ledger_merkle_state; DELETE FROM ledger_merkle_nodes; DELETE FROM ledger_checkpoint_receipts; DELETE FROM ledger_checkpoints;'
    );
  for (let i = 0; i < count; i++)
    appendLedgerEntry(db, { type: 'import', body: { file: `forged${i}.csv`, rows: i } });
  if (resign) createLedgerCheckpoint(db, f.ctx.identity);
}

export function signedCheckpointPost(f: Fixture, body: unknown): RequestInit {
  const text = JSON.stringify(body);
  const headers = signNodeRequest({
    method: 'POST',
    path: '/v1/node/checkpoints',
    body: text,
    node: 'node-t',
    secretKey: f.ctx.identity.signing.secretKey,
  });
  return {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: text,
  };
}
