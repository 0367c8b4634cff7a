import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hexToBytes,
  verifyCheckpoint,
  verifyCheckpointConsistency,
  verifyInclusion,
} from '@fedmark/protocol';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { type NodeIdentity } from '../identity/index.ts';
import { appendLedgerEntry, createLedgerCheckpoint } from '../ledger/index.ts';
import { createNodeApp } from './app.ts';
import { generateApiTokens, type ApiToken } from './tokens.ts';

let node: TempNode;
let dir: string;
let db: Database.Database;
let identity: NodeIdentity;
let tokens: ApiToken[];
let app: ReturnType<typeof createNodeApp>;
const get = (path: string, role?: 'admin' | 'auditor') =>
  app.request(path, {
    headers: role
      ? { authorization: `Bearer ${(tokens.find((t) => t.role === role) as ApiToken).token}` }
      : {},
  });

beforeAll(async () => {
  node = await createTempNode('fedmark-api-proofs-', 'proof-node');
  ({ dir, db, identity } = node);
  for (let i = 0; i < 20; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  createLedgerCheckpoint(db, identity, new Date('2026-01-01T00:00:00.000Z'));
  for (let i = 0; i < 9; i++) appendLedgerEntry(db, { type: 'import', body: { i } });
  tokens = generateApiTokens();
  app = createNodeApp({ dir, db, identity, tokens, log: () => {} });
});
afterAll(() => removeTempNode(node));

describe('ledger proof routes (auditor, read-only)', () => {
  it('serves a signed head, the stored checkpoints, and proofs that verify against them', async () => {
    const res = await get('/v1/ledger/checkpoint', 'auditor');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      checkpoint: { treeSize: number; rootHash: string; origin: string };
      stored: { checkpoint: { treeSize: number } }[];
    };
    expect(verifyCheckpoint(body.checkpoint, identity.signing.publicKey)).toBe(true);
    expect(body.checkpoint.origin).toBe('proof-node');
    // The stored checkpoint padded node_initialized + 20 to 64 (docs/audit.md "Checkpoint
    // padding"); the live head is not padded: 64 + 9.
    expect(body.checkpoint.treeSize).toBe(73);
    expect(body.stored.map((s) => s.checkpoint.treeSize)).toEqual([64]);

    const inc = (await (
      await get('/v1/ledger/proof/inclusion?index=7&size=73', 'auditor')
    ).json()) as { leafHash: string; proof: string[] };
    expect(
      verifyInclusion(
        hexToBytes(inc.leafHash),
        7,
        73,
        inc.proof.map(hexToBytes),
        hexToBytes(body.checkpoint.rootHash)
      )
    ).toBe(true);

    const con = (await (
      await get('/v1/ledger/proof/consistency?from=64&to=73', 'auditor')
    ).json()) as { proof: string[] };
    const old = body.stored[0]?.checkpoint as Parameters<typeof verifyCheckpointConsistency>[0];
    expect(verifyCheckpointConsistency(old, body.checkpoint as typeof old, con.proof)).toBe(true);
  });

  it('needs a token, and names a size outside the ledger', async () => {
    expect((await get('/v1/ledger/checkpoint')).status).toBe(401);
    const res = await get('/v1/ledger/proof/inclusion?index=40&size=30', 'auditor');
    expect(res.status).toBe(400);
    expect(
      ((await res.json()) as { error: { code: string; message: string } }).error.message
    ).toContain('index');
    expect((await get('/v1/ledger/proof/consistency?from=5&to=99', 'admin')).status).toBe(400);
    expect((await get('/v1/ledger/proof/consistency?from=0&to=5', 'admin')).status).toBe(400);
  });
});
