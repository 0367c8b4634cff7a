import { afterEach, describe, expect, it } from 'vitest';
import {
  CheckpointSubmissionSchema,
  ProtocolError,
  signCheckpointReceipt,
  signingKeyPairFromSeed,
  type CheckpointReceipt,
  type CheckpointSigned,
} from '@fedmark/protocol';
import { checkpointOnlyContext } from '../_testing/checkpoint-context.ts';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { grantConsent, revokeConsent } from '../consent/index.ts';
import { eraseCustomer } from '../erasure/index.ts';
import { ledgerSize, listLedgerCheckpoints, signLedgerHead } from '../ledger/index.ts';
import {
  CHECKPOINT_INTERVAL_MS,
  CHECKPOINT_RETRY_MS,
  sendCheckpointIfDue,
} from './checkpoint-sender.ts';
import type { CoordinatorClient } from './client.ts';

/**
 * The metadata attack of docs/audit.md "Checkpoint padding": the coordinator sees every
 * checkpoint's treeSize, and the ledger has one entry per consent change and erasure, so without
 * padding the difference of two checkpoints counts them exactly. The observer below is the
 * coordinator: it keeps exactly what the node POSTs and nothing else.
 */
const COORD = signingKeyPairFromSeed(new Uint8Array(32).fill(9));

/**
 * A coordinator that logs every checkpoint it is sent and answers with a signed receipt, or
 * refuses the first `refuse` submissions (409, as a transparency log refusing a checkpoint).
 */
function observingCoordinator(refuse = 0): { client: CoordinatorClient; seen: CheckpointSigned[] } {
  const seen: CheckpointSigned[] = [];
  let latest: { checkpoint: CheckpointSigned; receipt: CheckpointReceipt } | null = null;
  const client: CoordinatorClient = {
    request: async (method, _path, body, schema) => {
      if (method === 'GET') return schema.parse({ version: 1, latest });
      const { checkpoint } = CheckpointSubmissionSchema.parse(body);
      seen.push(checkpoint);
      if (seen.length <= refuse) throw new ProtocolError('CONFLICT', 'refused and recorded');
      const receipt = signCheckpointReceipt(
        {
          version: 1,
          origin: checkpoint.origin,
          treeSize: checkpoint.treeSize,
          rootHash: checkpoint.rootHash,
          logIndex: seen.length - 1,
          receivedAt: checkpoint.timestamp,
        },
        COORD.secretKey
      );
      latest = { checkpoint, receipt };
      return schema.parse({ version: 1, receipt });
    },
    poll: () => Promise.reject(new Error('checkpoints are never polled')),
  };
  return { client, seen };
}

const nodes: TempNode[] = [];
afterEach(() => {
  for (const n of nodes.splice(0)) removeTempNode(n);
});

type Activity = 'consent' | 'erasure';

/**
 * A node sends checkpoint A, makes `changes` consent changes (or erasures), and an hour later
 * sends checkpoint B. Returns the treeSizes the coordinator saw.
 */
async function observe(activity: Activity, changes: number): Promise<number[]> {
  const node = await createTempNode('cp-padding-', 'node-p');
  nodes.push(node);
  const { client, seen } = observingCoordinator();
  let clock = Date.parse('2026-03-01T10:00:00.000Z');
  const ctx = checkpointOnlyContext({ ...node, client, now: () => clock });
  expect(await sendCheckpointIfDue(ctx)).toBeDefined();
  for (let i = 0; i < changes; i++) {
    const input = { customerId: `C${i}`, purpose: 'analytics' as const, source: 'web_form' };
    grantConsent(node.db, node.identity, { ...input, time: new Date(clock - 1000) });
    if (activity === 'consent') revokeConsent(node.db, node.identity, input);
    else eraseCustomer(node.db, node.identity, `C${i}`);
  }
  clock += CHECKPOINT_INTERVAL_MS;
  expect(await sendCheckpointIfDue(ctx)).toBeDefined();
  return seen.map((c) => c.treeSize);
}

describe('checkpoint metadata: what the coordinator learns from treeSize', () => {
  for (const activity of ['consent', 'erasure'] as const) {
    it(`cannot count ${activity} changes between two checkpoints (1 and 5 look the same)`, async () => {
      const one = await observe(activity, 1);
      const five = await observe(activity, 5);
      expect(one).toHaveLength(2);
      // The attack: B - A would be 2 against 10 entries (a grant and a revoke or erasure each).
      expect(five).toEqual(one);
    });
  }

  it('a retry after a refusal resends the same padded checkpoint and pads nothing more', async () => {
    const node = await createTempNode('cp-padding-', 'node-r');
    nodes.push(node);
    const { client, seen } = observingCoordinator(1);
    let clock = Date.parse('2026-03-01T10:00:00.000Z');
    const ctx = checkpointOnlyContext({ ...node, client, now: () => clock });
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined(); // refused
    expect(ledgerSize(node.db)).toBe(64);
    clock += CHECKPOINT_RETRY_MS;
    expect((await sendCheckpointIfDue(ctx))?.receipt?.logIndex).toBe(1);
    expect(ledgerSize(node.db)).toBe(64);
    expect(seen.map((c) => c.signature)).toEqual([seen[0]?.signature, seen[0]?.signature]);
    expect(listLedgerCheckpoints(node.db)).toHaveLength(1);
  });

  it('a retry after new entries signs a new checkpoint, padded to the next bucket', async () => {
    const node = await createTempNode('cp-padding-', 'node-n');
    nodes.push(node);
    const { client, seen } = observingCoordinator(1);
    let clock = Date.parse('2026-03-01T10:00:00.000Z');
    const ctx = checkpointOnlyContext({ ...node, client, now: () => clock });
    expect(await sendCheckpointIfDue(ctx)).toBeUndefined(); // refused at 64
    grantConsent(node.db, node.identity, { customerId: 'C1', purpose: 'analytics', source: 'x' });
    clock += CHECKPOINT_RETRY_MS;
    expect((await sendCheckpointIfDue(ctx))?.checkpoint.treeSize).toBe(128);
    expect(seen.map((c) => c.treeSize)).toEqual([64, 128]);
    expect(listLedgerCheckpoints(node.db).map((c) => c.receipt?.logIndex ?? null)).toEqual([
      null,
      1,
    ]);
  });

  it('does not resend an unacknowledged checkpoint signed before padding existed', async () => {
    const node = await createTempNode('cp-padding-', 'node-o');
    nodes.push(node);
    listLedgerCheckpoints(node.db); // creates the checkpoint tables
    const old = signLedgerHead(node.db, node.identity); // 1 entry: what the old code stored
    node.db
      .prepare('INSERT INTO ledger_checkpoints (tree_size, root_hash, json) VALUES (?, ?, ?)')
      .run(old.treeSize, old.rootHash, JSON.stringify(old));
    const { client, seen } = observingCoordinator();
    const ctx = checkpointOnlyContext({ ...node, client });
    expect((await sendCheckpointIfDue(ctx))?.checkpoint.treeSize).toBe(64);
    expect(seen.map((c) => c.treeSize)).toEqual([64]);
    expect(listLedgerCheckpoints(node.db).map((c) => c.checkpoint.treeSize)).toEqual([1, 64]);
  });
});
