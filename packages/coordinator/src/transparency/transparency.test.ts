import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  bytesToHex,
  checkpointLeafHash,
  hexToBytes,
  leafHash,
  signNodeRequest,
  signingKeyPairFromSeed,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyCheckpointReceipt,
  verifyInclusion,
} from '@fedmark/protocol';
import { createCoordinator } from '../app.ts';
import type { CoordinatorOptions } from '../context.ts';
import { openStore } from '../store/index.ts';
import { OPERATOR_TOKEN, T0, admit, harness, json, testNode } from '../_testing.ts';
import { checkpoint, ledger, submission } from './_checkpoint-testing.ts';
import type { TransparencyOptions } from './index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const COORD_PUB = signingKeyPairFromSeed(new Uint8Array(32).fill(99)).publicKey;
describe('coordinator transparency log', () => {
  it('logs consistent checkpoints with signed receipts, proves inclusion and consistency, refuses and records a rewrite', async () => {
    const h = harness();
    const a = testNode('node-a', 1);
    await admit(h, a);
    const tree = ledger('a', 40);

    const cp1 = checkpoint(a, tree, 10, 1);
    const r1 = await h.node(a, 'POST', '/v1/node/checkpoints', submission(cp1, tree, 0));
    expect(r1.status).toBe(200);
    const receipt1 = (await json(r1)).receipt;
    expect(receipt1).toMatchObject({
      origin: 'node-a',
      treeSize: 10,
      rootHash: cp1.rootHash,
      logIndex: 0,
    });
    expect(verifyCheckpointReceipt(receipt1, COORD_PUB)).toBe(true);

    const cp2 = checkpoint(a, tree, 25, 2);
    const r2 = await h.node(a, 'POST', '/v1/node/checkpoints', submission(cp2, tree, 10));
    expect(r2.status).toBe(200);
    expect((await json(r2)).receipt.logIndex).toBe(1);
    // A retry of the same checkpoint gets its original receipt, not a new leaf.
    const again = await h.node(a, 'POST', '/v1/node/checkpoints', submission(cp2, tree, 10));
    expect((await json(again)).receipt.logIndex).toBe(1);

    const latest = await json(await h.node(a, 'GET', '/v1/node/checkpoints/latest'));
    expect(latest.latest.checkpoint).toEqual(cp2);

    // Auditor view: signed head, inclusion of cp2 at its log index, consistency of log sizes.
    const head = (await json(await h.op('GET', '/v1/transparency/head'))).head;
    expect(verifyCheckpoint(head, COORD_PUB)).toBe(true);
    expect(head.treeSize).toBe(2);
    const inc = await json(
      await h.op('GET', `/v1/transparency/proof/inclusion?index=1&size=${head.treeSize}`)
    );
    expect(inc.leafHash).toBe(bytesToHex(checkpointLeafHash(cp2)));
    expect(
      verifyInclusion(
        checkpointLeafHash(cp2),
        1,
        2,
        inc.proof.map(hexToBytes),
        hexToBytes(head.rootHash)
      )
    ).toBe(true);
    expect(
      verifyInclusion(
        checkpointLeafHash(cp1),
        1,
        2,
        inc.proof.map(hexToBytes),
        hexToBytes(head.rootHash)
      )
    ).toBe(false);

    // The node truncates its ledger to 5 entries and re-appends a different history of 30.
    const rewritten = ledger('a', 5);
    for (let i = 0; i < 25; i++) rewritten.append(leafHash(enc(`forged-${i}`)));
    const forged = checkpoint(a, rewritten, 30, 3);
    const bad = await h.node(a, 'POST', '/v1/node/checkpoints', submission(forged, rewritten, 25));
    expect(bad.status).toBe(409);
    expect((await json(bad)).error.code).toBe('CONFLICT');
    const refusals = (await json(await h.op('GET', '/v1/transparency/refusals?node=node-a')))
      .refusals;
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      node: 'node-a',
      treeSize: 30,
      previousTreeSize: 25,
      previousRootHash: cp2.rootHash,
    });
    expect(refusals[0].reason).toContain('not consistent');
    // A shrinking tree is refused too, and the log did not grow.
    const shrunk = {
      version: 1,
      checkpoint: checkpoint(a, tree, 20, 4),
      fromSize: 20,
      consistencyProof: [],
    };
    const shrink = await h.node(a, 'POST', '/v1/node/checkpoints', shrunk);
    expect(shrink.status).toBe(409);
    expect((await json(await h.op('GET', '/v1/transparency/head'))).head.treeSize).toBe(2);
    const listed = (await json(await h.op('GET', '/v1/transparency/nodes/node-a/checkpoints')))
      .checkpoints;
    expect(listed.map((c: { logIndex: number }) => c.logIndex)).toEqual([0, 1]);

    // The honest continuation is still accepted; log consistency 2 -> 3 verifies.
    const cp3 = checkpoint(a, tree, 40, 5);
    expect(
      (await h.node(a, 'POST', '/v1/node/checkpoints', submission(cp3, tree, 25))).status
    ).toBe(200);
    const head3 = (await json(await h.op('GET', '/v1/transparency/head'))).head;
    const con = await json(await h.op('GET', '/v1/transparency/proof/consistency?from=2&to=3'));
    expect(verifyCheckpointConsistency(head, head3, con.proof)).toBe(true);
  });

  it('refuses a foreign origin, a bad signature, a stale predecessor, and needs the operator token', async () => {
    const h = harness();
    const a = testNode('node-a', 1);
    const b = testNode('node-b', 2);
    await admit(h, a);
    await admit(h, b);
    const tree = ledger('x', 8);
    const cpB = checkpoint(b, tree, 4, 1);
    const foreign = await h.node(a, 'POST', '/v1/node/checkpoints', submission(cpB, tree, 0));
    expect(foreign.status).toBe(403);
    const forgedSig = { ...checkpoint(a, tree, 4, 1), signature: cpB.signature };
    const sig = await h.node(a, 'POST', '/v1/node/checkpoints', submission(forgedSig, tree, 0));
    expect((await json(sig)).error.code).toBe('INVALID_SIGNATURE');
    expect(
      (
        await h.node(
          a,
          'POST',
          '/v1/node/checkpoints',
          submission(checkpoint(a, tree, 4, 1), tree, 0)
        )
      ).status
    ).toBe(200);
    const stale = await h.node(
      a,
      'POST',
      '/v1/node/checkpoints',
      submission(checkpoint(a, tree, 8, 2), tree, 2)
    );
    expect(stale.status).toBe(409);
    expect((await json(stale)).error.message).toContain('size 4');
    expect((await json(await h.op('GET', '/v1/transparency/refusals'))).refusals).toEqual([]);
    expect((await h.coordinator.app.request('/v1/transparency/head')).status).toBe(401);
    const malformed = await h.node(a, 'POST', '/v1/node/checkpoints', {
      version: 1,
      checkpoint: {},
      fromSize: 0,
      consistencyProof: [],
    });
    expect(malformed.status).toBe(400);
    // The other node routes still authenticate (this router must not consume their nonce).
    expect((await h.node(a, 'GET', '/v1/node/tasks')).status).toBe(200);
  });

  it('keeps the log in the given database across a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'transparency-'));
    try {
      const a = testNode('node-a', 1);
      const tree = ledger('p', 12);
      const start = (store: ReturnType<typeof openStore>, db: Database.Database) => {
        const opts: CoordinatorOptions & TransparencyOptions = {
          store,
          coordinatorKey: signingKeyPairFromSeed(new Uint8Array(32).fill(99)),
          operatorToken: OPERATOR_TOKEN,
          now: () => T0,
          log: () => {},
          timers: false,
          transparencyDb: db,
        };
        return createCoordinator(opts);
      };
      const store = openStore(dir);
      const db1 = new Database(join(dir, 'transparency.db'));
      const h = { coordinator: start(store, db1) };
      const req = (path: string, body: unknown) => {
        const text = JSON.stringify(body);
        const headers = signNodeRequest({
          method: 'POST',
          path,
          body: text,
          node: a.name,
          secretKey: a.signing.secretKey,
          now: T0,
        });
        return h.coordinator.app.request(path, {
          method: 'POST',
          headers: { ...headers, 'content-type': 'application/json' },
          body: text,
        });
      };
      await h.coordinator.app.request('/v1/admin/nodes', {
        method: 'POST',
        headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          name: a.name,
          signingKey: bytesToHex(a.signing.publicKey),
          boxKey: bytesToHex(a.box.publicKey),
        }),
      });
      expect(
        (await req('/v1/node/checkpoints', submission(checkpoint(a, tree, 6, 1), tree, 0))).status
      ).toBe(200);
      db1.close();
      store.close();
      const store2 = openStore(dir);
      const db2 = new Database(join(dir, 'transparency.db'));
      h.coordinator = start(store2, db2);
      const r = await req('/v1/node/checkpoints', submission(checkpoint(a, tree, 12, 2), tree, 6));
      expect(r.status).toBe(200);
      expect((await json(r)).receipt.logIndex).toBe(1);
      expect(() => db2.prepare('DELETE FROM transparency_leaves').run()).toThrow(/append-only/);
      db2.close();
      store2.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
