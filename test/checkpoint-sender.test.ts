import type { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { beforeEach, describe, expect, it } from 'vitest';
import { signingKeyPairFromSeed, verifyCheckpointReceipt } from '@fedmark/protocol';
import { checkpointOnlyContext } from '../packages/node/src/_testing/checkpoint-context.ts';
import { admitNode, startTestCoordinator } from './support/test-coordinator.ts';
import { useTempNode } from '../packages/node/src/_testing/temp-node.ts';
import type { NodeIdentity } from '../packages/node/src/identity/index.ts';
import {
  CHECKPOINT_BUCKET,
  appendLedgerEntry,
  listLedgerCheckpoints,
} from '../packages/node/src/ledger/index.ts';
import { createCoordinatorClient } from '../packages/node/src/federation/client.ts';
import type { AgentContext } from '../packages/node/src/federation/context.ts';
import {
  CHECKPOINT_INTERVAL_MS,
  sendCheckpointIfDue,
} from '../packages/node/src/federation/checkpoint-sender.ts';

/** The node's better-sqlite3 connection (better-sqlite3 is the node package's dependency, not the root's). */
type NodeDb = ReturnType<typeof openNodeDatabase>;

const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(7));
let dir: string;
let db: NodeDb;
let identity: NodeIdentity;
let clock: number;
let events: { event: string; detail?: Record<string, unknown> }[];
let ctx: AgentContext;

useTempNode('cp-sender-', 'node-s', (t) => ({ dir, db, identity } = t));
beforeEach(async () => {
  clock = Date.parse('2026-05-01T10:00:00Z');
  events = [];
  const coordinator = startTestCoordinator(COORD, 'op-token-x');
  await admitNode(coordinator, 'op-token-x', identity);
  const log = (event: string, detail?: Record<string, unknown>) =>
    void events.push({ event, ...(detail ? { detail } : {}) });
  // Requests are signed with the real clock, so the coordinator runs on it; only the node's clock moves.
  const client = createCoordinatorClient({
    coordinatorUrl: 'http://coordinator.test',
    identity,
    log,
    fetch: (url, init) => Promise.resolve(coordinator.app.request(url, init)),
  });
  ctx = checkpointOnlyContext({
    dir,
    identity,
    db,
    client,
    log,
    now: () => clock,
    coordinatorKey: COORD.publicKey,
  });
});

describe('sendCheckpointIfDue', () => {
  it('sends a first checkpoint, then only after a release or an hour, keeping each receipt', async () => {
    clock = Date.now();
    const first = await sendCheckpointIfDue(ctx);
    expect(first?.receipt?.logIndex).toBe(0);
    expect(verifyCheckpointReceipt(first?.receipt, COORD.publicKey)).toBe(true);
    // Nothing new: not due.
    appendLedgerEntry(db, { type: 'import', body: { rows: 1 } });
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    // A release makes it due; the proof from the logged size is accepted.
    appendLedgerEntry(db, { type: 'release', body: { jobId: 'j1', round: 0 } });
    clock += 1000;
    const second = await sendCheckpointIfDue(ctx);
    expect(second?.receipt?.logIndex).toBe(1);
    // Two new entries, padded up to the next bucket (docs/audit.md "Checkpoint padding").
    expect(second?.checkpoint.treeSize).toBe((first?.checkpoint.treeSize ?? 0) + CHECKPOINT_BUCKET);
    // An hour later with no release: due again.
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    clock += CHECKPOINT_INTERVAL_MS;
    expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(2);
    const stored = listLedgerCheckpoints(db);
    expect(stored.map((s) => s.receipt?.logIndex)).toEqual([0, 1, 2]);
    expect(events.filter((e) => e.event === 'checkpoint_sent')).toHaveLength(3);
  });

  it('logs a failure without throwing and waits before trying again', async () => {
    clock = Date.now();
    ctx.client = createCoordinatorClient({
      coordinatorUrl: 'http://coordinator.test',
      identity,
      attempts: 1,
      fetch: () =>
        Promise.resolve(
          new Response('{"error":{"code":"NOT_FOUND","message":"no route"}}', { status: 404 })
        ),
    });
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    expect(events.filter((e) => e.event === 'checkpoint_failed')).toHaveLength(1);
    expect(String(events[0]?.detail?.['error'])).toContain('NOT_FOUND');
  });

  it('retries a refused checkpoint after the wait, reusing the same stored checkpoint', async () => {
    clock = Date.now();
    let posts = 0;
    ctx.client = createCoordinatorClient({
      coordinatorUrl: 'http://coordinator.test',
      identity,
      attempts: 1,
      fetch: (url) => {
        if (url.endsWith('/latest'))
          return Promise.resolve(Response.json({ version: 1, latest: null }));
        posts++;
        return Promise.resolve(
          Response.json(
            { error: { code: 'CONFLICT', message: 'checkpoint refused and recorded' } },
            { status: 409 }
          )
        );
      },
    });
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    clock += 30_000;
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined(); // still waiting
    expect(posts).toBe(1);
    clock += 31_000;
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined();
    expect(posts).toBe(2);
    expect(listLedgerCheckpoints(db)).toHaveLength(1);
    expect(
      events
        .filter((e) => e.event === 'checkpoint_failed')
        .map((e) => String(e.detail?.['error']).slice(0, 8))
    ).toEqual(['CONFLICT', 'CONFLICT']);
  });
});
