import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  PolicySchema,
  ProtocolError,
  hmacSha256,
  bytesToHex,
  signCanonical,
  verifyCanonical,
} from '@fedmark/protocol';
import { openNodeDatabase } from '../store/database.ts';
import { listLedger, verifyLedger } from '../ledger/index.ts';
import { initNode, loadIdentity, pseudonymFor, publicIdentity } from './index.ts';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'identity-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('initNode / loadIdentity', () => {
  it('creates identity (0600), policy, database and the first ledger entry', async () => {
    const dir = join(root, 'node-a');
    const pub = await initNode({ dir, name: 'bank-a' });
    expect(pub.name).toBe('bank-a');
    expect(pub.signingKey).toMatch(/^[0-9a-f]{64}$/);
    expect(pub.boxKey).toMatch(/^[0-9a-f]{64}$/);
    expect(statSync(join(dir, 'identity.json')).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(dir, 'policy.json'), 'utf8'))).toEqual(
      PolicySchema.parse({})
    );

    const id = loadIdentity(dir);
    expect(publicIdentity(id)).toEqual(pub);
    expect(id.pepper.length).toBe(32);
    const sig = signCanonical('test', { a: 1 }, id.signing.secretKey);
    expect(verifyCanonical('test', { a: 1 }, sig, id.signing.publicKey)).toBe(true);

    const db = openNodeDatabase(dir);
    const entries = listLedger(db);
    expect(entries.map((e) => e.type)).toEqual(['node_initialized']);
    expect(entries[0]!.body).toEqual({
      name: 'bank-a',
      signingKey: pub.signingKey,
      boxKey: pub.boxKey,
    });
    expect(verifyLedger(db)).toMatchObject({ ok: true, size: 1 });
    // No secret in the ledger.
    const secretHex = bytesToHex(id.signing.secretKey.subarray(0, 32));
    expect(JSON.stringify(entries)).not.toContain(secretHex);
    expect(JSON.stringify(entries)).not.toContain(bytesToHex(id.pepper));
    db.close();
  });

  it('refuses to initialise over an existing node with CONFLICT', async () => {
    const dir = join(root, 'n');
    await initNode({ dir, name: 'n1' });
    const err = await initNode({ dir, name: 'n2' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('CONFLICT');
    expect(loadIdentity(dir).name).toBe('n1');
  });

  it('refuses a bad node name', async () => {
    const err = await initNode({ dir: join(root, 'x'), name: 'has space' }).catch(
      (e: unknown) => e
    );
    expect((err as ProtocolError).code).toBe('BAD_REQUEST');
  });

  it('refuses identity files with permissions wider than 0600', async () => {
    const dir = join(root, 'p');
    await initNode({ dir, name: 'p' });
    chmodSync(join(dir, 'identity.json'), 0o644);
    expect(() => loadIdentity(dir)).toThrow(/permissions 644 are too open/);
  });

  it('gives clear errors for a missing or corrupt identity, without echoing secrets', async () => {
    expect(() => loadIdentity(join(root, 'none'))).toThrow(/no node identity here/);
    const dir = join(root, 'c');
    await initNode({ dir, name: 'c' });
    const file = join(dir, 'identity.json');
    const good = JSON.parse(readFileSync(file, 'utf8')) as {
      pepper: string;
      signing: { publicKey: string };
    };
    writeFileSync(file, '{not json', { mode: 0o600 });
    expect(() => loadIdentity(dir)).toThrow(/not valid JSON/);
    writeFileSync(file, JSON.stringify({ ...good, pepper: 'zz' }), { mode: 0o600 });
    expect(() => loadIdentity(dir)).toThrow(/field "pepper"/);
    writeFileSync(
      file,
      JSON.stringify({ ...good, signing: { ...good.signing, publicKey: '00'.repeat(32) } }),
      { mode: 0o600 }
    );
    let message = '';
    try {
      loadIdentity(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/does not match the secret key/);
    expect(message).not.toContain(good.pepper);
  });
});

describe('pseudonymFor', () => {
  it('is hex HMAC-SHA256(pepper, "customer:" + id)', async () => {
    const dir = join(root, 'h');
    await initNode({ dir, name: 'h' });
    const id = loadIdentity(dir);
    expect(pseudonymFor(id, 'C-1')).toBe(bytesToHex(hmacSha256(id.pepper, 'customer:C-1')));
    expect(pseudonymFor(id, 'C-1')).not.toBe(pseudonymFor(id, 'C-2'));
    expect(() => pseudonymFor(id, '')).toThrow(TypeError);
  });
});

describe('database file', () => {
  it('is created owner-only, WAL included', async () => {
    const dir = join(root, 'db-mode');
    await initNode({ dir, name: 'm' });
    expect(statSync(join(dir, 'node.db')).mode & 0o777).toBe(0o600);
    const db = openNodeDatabase(dir);
    db.exec('CREATE TEMP TABLE t (x)');
    db.prepare('INSERT INTO node_migrations (name, applied_at) VALUES (?, ?)').run(
      'test-wal',
      'now'
    );
    expect(statSync(join(dir, 'node.db-wal')).mode & 0o777).toBe(0o600);
    db.close();
  });
});
