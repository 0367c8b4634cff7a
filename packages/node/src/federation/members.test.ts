import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  KEY_BUNDLE_DOMAIN,
  bytesToHex,
  fromBase64,
  generateBoxKeyPair,
  generateSigningKeyPair,
  keyBundleSigningPayload,
  keyMembersHash,
  sealedDataKeyHashes,
  sha256Hex,
  signCanonical,
  type Member,
  type ProtocolError,
} from '@fedmark/protocol';
import { runCli } from '../_testing/run-cli.ts';
import { initNode, loadIdentity, publicIdentity } from '../identity/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { listLedger, verifyLedger } from '../ledger/index.ts';
import { hasHeKey } from '../crypto/index.ts';
import { runAgent } from './agent.ts';
import { requireInstalledEpoch } from './members.ts';
import { FakeCoordinator } from './_fake-coordinator.ts';

const NAMES = ['a', 'b', 'c'] as const;
let dirs: Record<string, string>;
let members: Member[];
let coord: FakeCoordinator;
let logs: { node: string; event: string; detail: Record<string, unknown> }[];

async function setup(mode: 'auto' | 'approve'): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'fed-members-'));
  dirs = {};
  logs = [];
  for (const n of NAMES) {
    dirs[n] = join(root, n);
    await initNode({ dir: dirs[n] as string, name: n, members: mode });
  }
  members = NAMES.map((n) => {
    const p = publicIdentity(loadIdentity(dirs[n] as string));
    return { name: p.name, signingKey: p.signingKey, boxKey: p.boxKey };
  });
  coord = new FakeCoordinator([...members]);
}

async function run(node: string): Promise<void> {
  await runAgent({
    dir: dirs[node] as string,
    coordinatorUrl: 'http://coordinator.test:7600',
    fetch: coord.fetch,
    maxPolls: 1,
    pollMs: 1,
    backoffMs: 1,
    log: (event, detail) => logs.push({ node, event, detail: detail ?? {} }),
  });
}

function events(node: string, event: string): string[] {
  return logs
    .filter((l) => l.node === node && l.event === event)
    .map((l) => String(l.detail['error']));
}

function ledgerTypes(node: string, prefix: string): string[] {
  const db = openNodeDatabase(dirs[node] as string);
  const out = listLedger(db)
    .filter((e) => e.type.startsWith(prefix))
    .map((e) => `${e.type}:${String(e.body['keyId'])}:${String(e.body['decision'] ?? '')}`);
  db.close();
  return out;
}

/** A member the coordinator made up: it holds the secret halves of these keys. */
function invented(name: string): Member {
  return {
    name,
    signingKey: bytesToHex(generateSigningKeyPair().publicKey),
    boxKey: bytesToHex(generateBoxKeyPair().publicKey),
  };
}

async function formK1(): Promise<void> {
  coord.addTask('a', { type: 'key_generate', keyId: 'k1', heParams: 'bfv-8192-t40', members });
  await run('a');
  await run('b');
  await run('c');
  expect(coord.acks.map((x) => `${x.node}:${x.keyId}`).sort()).toEqual(['b:k1', 'c:k1']);
}

describe('pinned membership, policy members: auto', () => {
  beforeEach(() => setup('auto'));

  it('accepts the first epoch, signs its members hash into the bundle and records the acceptance', async () => {
    await formK1();
    expect(coord.bundles.get('k1')?.membersHash).toBe(keyMembersHash(members));
    for (const n of NAMES) expect(ledgerTypes(n, 'members_')).toEqual(['members_accepted:k1:auto']);
  });

  it('refuses a changed box key for a member it pinned: nothing is sealed to the swapped key', async () => {
    await formK1();
    const swapped = members.map((m) =>
      m.name === 'c' ? { ...m, boxKey: invented('c').boxKey } : m
    );
    coord.addTask('a', {
      type: 'key_generate',
      keyId: 'k2',
      heParams: 'bfv-8192-t40',
      members: swapped,
    });
    await run('a');
    expect(coord.bundles.has('k2')).toBe(false);
    expect(hasHeKey(dirs['a'] as string, 'k2')).toBe(false);
    expect(events('a', 'task_deferred')).toEqual([
      'key epoch k2 (a, b, c) is not accepted: changed signing or box keys for c; refused unless the node admin approves (fedmark node members approve --epoch k2)',
    ]);
    expect(ledgerTypes('a', 'members_')).toEqual([
      'members_accepted:k1:auto',
      'members_refused:k2:',
    ]);
  });

  it('refuses a different member set for an epoch it already accepted (KEY_MISMATCH)', async () => {
    await formK1();
    coord.bundles.clear();
    coord.addTask('a', {
      type: 'key_generate',
      keyId: 'k1',
      heParams: 'bfv-8192-t40',
      members: [...members, invented('evil')],
    });
    await run('a');
    expect(coord.bundles.has('k1')).toBe(false);
    expect(events('a', 'task_failed')).toEqual([
      'KEY_MISMATCH: the member set differs from the one this node accepted for k1 (a, b, c, got a, b, c, evil)',
    ]);
  });

  it('split view: a member shown other members than the generator sealed to refuses the bundle', async () => {
    // The coordinator tells the generator about an invented member and hides it from b and c.
    const evil = invented('evil');
    coord.addTask('a', {
      type: 'key_generate',
      keyId: 'k1',
      heParams: 'bfv-8192-t40',
      members: [...members, evil],
    });
    await run('a');
    await run('b');
    expect(events('b', 'task_failed')).toEqual([
      'INVALID_SIGNATURE: key bundle k1 is not signed by its generator a for the members this node accepted',
    ]);
    expect(hasHeKey(dirs['b'] as string, 'k1')).toBe(false);
    expect(coord.acks).toEqual([]);
  });

  it('refuses a key install that carries no bundle signature', async () => {
    await formK1();
    const k1 = coord.bundles.get('k1');
    coord.addTask('b', {
      type: 'key_install',
      keyId: 'k2',
      heParams: 'bfv-8192-t40',
      members,
      generator: 'a',
      publicKey: k1?.publicKey ?? '',
      encryptedSecretKey: k1?.encryptedSecretKey ?? '',
      sealedDataKey: k1?.sealedDataKeys['b'] ?? '',
    } as never);
    await run('b');
    expect(logs.filter((l) => l.node === 'b' && l.event === 'task_malformed').length).toBe(1);
    expect(hasHeKey(dirs['b'] as string, 'k2')).toBe(false);
  });

  it('refuses a job or decrypt on an epoch it never accepted, or with other members than it accepted', async () => {
    await formK1();
    const db = openNodeDatabase(dirs['b'] as string);
    try {
      const gate = (keyId: string, m?: Member[]) => {
        try {
          requireInstalledEpoch(db, dirs['b'] as string, keyId, m);
          return 'ok';
        } catch (err) {
          return `${(err as ProtocolError).code}: ${(err as Error).message}`;
        }
      };
      expect(gate('k1', members)).toBe('ok');
      expect(gate('k1')).toBe('ok');
      expect(gate('k1', [...members, invented('evil')])).toBe(
        'KEY_MISMATCH: the task names members a, b, c, evil for k1; this node accepted a, b, c'
      );
      expect(gate('k7', members)).toBe(
        'KEY_MISMATCH: key epoch k7 is not accepted and installed on this node'
      );
    } finally {
      db.close();
    }
  });
});

describe('pinned membership, policy members: approve', () => {
  beforeEach(() => setup('approve'));

  it('a coordinator-invented member never receives key material: nothing is sealed before approval', async () => {
    const evil = invented('evil');
    coord.members.push(evil);
    coord.addTask('a', {
      type: 'key_generate',
      keyId: 'k1',
      heParams: 'bfv-8192-t40',
      members: [...members, evil],
    });
    await run('a');
    await run('a');
    expect(coord.bundles.size).toBe(0);
    // Nothing but its policy summary (job preflight) was posted: no bundle, no key material.
    expect(
      coord.requests
        .filter((r) => r.method === 'POST' && r.path !== '/v1/node/policy-summary')
        .map((r) => r.path)
    ).toEqual([]);
    expect(hasHeKey(dirs['a'] as string, 'k1')).toBe(false);
    expect(ledgerTypes('a', 'members_')).toEqual(['members_pending:k1:']);
  });

  it('does nothing until fedmark node members approve, then the ceremony completes', async () => {
    coord.addTask('a', { type: 'key_generate', keyId: 'k1', heParams: 'bfv-8192-t40', members });
    await run('a');
    expect(coord.bundles.size).toBe(0);

    const listed = await runCli('node', 'members', 'list', '--dir', dirs['a'] as string, '--json');
    expect(listed.code).toBe(0);
    const body = JSON.parse(listed.out) as {
      policy: string;
      accepted: unknown[];
      pending: { keyId: string; membersHash: string; added: string[] }[];
    };
    expect(body.policy).toBe('approve');
    expect(body.accepted).toEqual([]);
    expect(body.pending.map((p) => [p.keyId, p.membersHash, p.added])).toEqual([
      ['k1', keyMembersHash(members), ['a', 'b', 'c']],
    ]);

    const wrong = await runCli(
      'node',
      'members',
      'approve',
      '--dir',
      dirs['a'] as string,
      '--epoch',
      'k1',
      '--hash',
      'ffff'
    );
    expect(wrong.code).not.toBe(0);
    expect(wrong.err).toContain('CONFLICT');

    const approveA = await runCli(
      'node',
      'members',
      'approve',
      '--dir',
      dirs['a'] as string,
      '--epoch',
      'k1'
    );
    expect(approveA.code).toBe(0);
    expect(approveA.out).toContain('Approved key epoch k1');
    await run('a');
    expect(coord.bundles.get('k1')?.membersHash).toBe(keyMembersHash(members));
    // b and c see the install task only now, and wait for their own admin.
    await run('b');
    await run('c');
    expect(coord.acks).toEqual([]);
    for (const n of ['b', 'c']) {
      const r = await runCli(
        'node',
        'members',
        'approve',
        '--dir',
        dirs[n] as string,
        '--epoch',
        'k1'
      );
      expect(r.code).toBe(0);
    }
    await run('b');
    await run('c');
    const pk = sha256Hex(fromBase64(coord.bundles.get('k1')?.publicKey ?? ''));
    expect(coord.acks.map((x) => `${x.node}:${x.keyId}:${x.publicKeyHash}`).sort()).toEqual([
      `b:k1:${pk}`,
      `c:k1:${pk}`,
    ]);
    for (const n of NAMES)
      expect(ledgerTypes(n, 'members_')).toEqual([
        'members_pending:k1:',
        'members_accepted:k1:approved',
      ]);
    // The auditor's verifier accepts the new entry types.
    const audit = await runCli('audit', 'verify', '--node-dir', dirs['a'] as string, '--json');
    expect([audit.code, audit.err]).toEqual([0, '']);
    const db = openNodeDatabase(dirs['b'] as string);
    // node_initialized, members_pending, members_accepted, key_ceremony
    expect(verifyLedger(db)).toMatchObject({ ok: true, size: 4 });
    db.close();
  });

  it('a bundle signed over the accepted members hash by someone other than the generator is refused', async () => {
    const attacker = generateSigningKeyPair();
    const sealed = 'AAAA'.repeat(24);
    const bundle = {
      keyId: 'k1',
      publicKey: 'AQIDBA==',
      encryptedSecretKey: 'AAAA'.repeat(20),
      sealedDataKeys: { b: sealed, c: sealed },
      membersHash: keyMembersHash(members),
    };
    const sig = signCanonical(
      KEY_BUNDLE_DOMAIN,
      keyBundleSigningPayload(bundle),
      attacker.secretKey
    );
    coord.addTask('b', {
      type: 'key_install',
      keyId: 'k1',
      heParams: 'bfv-8192-t40',
      members,
      generator: 'a',
      publicKey: bundle.publicKey,
      encryptedSecretKey: bundle.encryptedSecretKey,
      sealedDataKey: sealed,
      sealedDataKeyHashes: sealedDataKeyHashes(bundle.sealedDataKeys),
      bundleSignature: sig,
    });
    await run('b');
    expect(events('b', 'task_failed')).toEqual([]);
    const r = await runCli('node', 'members', 'approve', '--dir', dirs['b'] as string);
    expect(r.code).toBe(0);
    await run('b');
    expect(events('b', 'task_failed')).toEqual([
      'INVALID_SIGNATURE: key bundle k1 is not signed by its generator a for the members this node accepted',
    ]);
    expect(hasHeKey(dirs['b'] as string, 'k1')).toBe(false);
  });
});
