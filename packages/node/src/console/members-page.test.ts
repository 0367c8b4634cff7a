import type Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyMembersHash, type Member } from '@fedmark/protocol';
import { createTempNode, removeTempNode, type TempNode } from '../_testing/temp-node.ts';
import { createNodeApp } from '../api/app.ts';
import { generateApiTokens, type ApiToken } from '../api/tokens.ts';
import { appendLedgerEntry, listLedger } from '../ledger/index.ts';
import { session, type TestSession } from './_test-session.ts';

let node: TempNode;
let db: Database.Database;
let tokens: ApiToken[];
let admin: TestSession;
let auditor: TestSession;
const members: Member[] = ['a', 'b', 'c'].map((name, i) => ({
  name,
  signingKey: String(i + 1).repeat(64),
  boxKey: String(i + 4).repeat(64),
}));
const membersHash = keyMembersHash(members);

const tokenOf = (role: 'admin' | 'auditor') =>
  (tokens.find((t) => t.role === role) as ApiToken).token;

beforeAll(async () => {
  node = await createTempNode('node-members-', 'a');
  db = node.db;
  // What the agent records when the coordinator proposes k1 under policy members: approve.
  appendLedgerEntry(db, {
    type: 'members_pending',
    body: {
      keyId: 'k1',
      membersHash,
      members,
      added: ['a', 'b', 'c'],
      removed: [],
      changedKeys: [],
      reason: 'policy members: approve; waiting for the node admin',
    },
  });
  tokens = generateApiTokens();
  const app = createNodeApp({ dir: node.dir, db, identity: node.identity, tokens, log: () => {} });
  admin = await session(app, tokenOf('admin'));
  auditor = await session(app, tokenOf('auditor'));
});

afterAll(() => removeTempNode(node));

const approvals = () =>
  listLedger(db, { type: 'members_accepted' }).map((e) => [e.body['keyId'], e.body['decision']]);

describe('node console: key epoch members', () => {
  it('shows the pending epoch with its members and keys to the admin, 403 to an auditor', async () => {
    const res = await admin.get('/console/members');
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('k1: policy members: approve; waiting for the node admin');
    expect(html).toContain('1'.repeat(64));
    expect(html).toContain(`name="membersHash" value="${membersHash}"`);
    expect((await auditor.get('/console/members')).status).toBe(403);
  });

  it('approves only with the CSRF token and the shown members hash, then shows it accepted', async () => {
    const form = { keyId: 'k1', membersHash };
    expect((await admin.post('/console/members', form)).status).toBe(403);
    expect((await auditor.post('/console/members', { ...form, _csrf: auditor.csrf })).status).toBe(
      403
    );
    const stale = await admin.post('/console/members', {
      keyId: 'k1',
      membersHash: 'f'.repeat(64),
      _csrf: admin.csrf,
    });
    expect(stale.status).toBe(409);
    expect(approvals()).toEqual([]);
    const res = await admin.post('/console/members', { ...form, _csrf: admin.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/console/members?approved=k1');
    expect(approvals()).toEqual([['k1', 'approved']]);
    const page = await (await admin.get('/console/members?approved=k1')).text();
    expect(page).toContain('Approved key epoch k1');
    expect(page).toContain('No key epoch is waiting.');
    expect(page).toContain('k1 (approved)');
  });
});
