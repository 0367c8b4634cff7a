import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './index.ts';

const members = [
  { name: 'a', signingKey: '11'.repeat(32), boxKey: '22'.repeat(32) },
  { name: 'b', signingKey: '33'.repeat(32), boxKey: '44'.repeat(32) },
];
const bundle = {
  publicKey: new Uint8Array(64).fill(5),
  publicKeyHash: 'ab'.repeat(32),
  encryptedSecretKey: new Uint8Array(80).fill(6),
  sealedDataKeys: { b: 'c2VhbGVk' },
  signature: 'sig',
};

const dirs: string[] = [];
const opened: Store[] = [];
function open(dir = ':memory:'): Store {
  const s = openStore(dir);
  opened.push(s);
  return s;
}
afterEach(() => {
  for (const s of opened.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const create = (s: Store) =>
  s.keys.create({ heParams: 'bfv-8192-t40', members, generator: 'a', createdAt: 't' });

describe('key store: parsed epochs served from memory', () => {
  it('shows every write of this connection on the next read', () => {
    const s = open();
    const e = create(s);
    expect(s.keys.latest()?.state).toBe('generating');
    s.keys.storeBundle(e.seq, bundle);
    expect(s.keys.latest()).toMatchObject({
      publicKeyHash: bundle.publicKeyHash,
      encryptedSecretKey: bundle.encryptedSecretKey,
      sealedDataKeys: bundle.sealedDataKeys,
    });
    s.keys.setState(e.seq, 'installing');
    expect(s.keys.get('k1')?.state).toBe('installing');
    s.keys.ack(e.seq, 'b', 'sig-b', 't');
    expect(s.keys.latest()?.acked).toEqual(['b']);
    const e2 = create(s);
    expect(s.keys.latest()?.keyId).toBe(e2.keyId);
  });

  it('shows a commit of another connection (another process) on the next read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fedmark-keys-'));
    dirs.push(dir);
    const s = open(dir);
    const e = create(s);
    expect(s.keys.latest()?.state).toBe('generating');
    const other = open(dir);
    other.keys.setState(e.seq, 'retired');
    create(other);
    expect(s.keys.get('k1')?.state).toBe('retired');
    expect(s.keys.latest()?.keyId).toBe('k2');
  });

  it('keeps nothing a rolled-back transaction wrote', () => {
    const s = open();
    const e = create(s);
    expect(s.keys.latest()?.acked).toEqual([]);
    expect(() =>
      s.transaction(() => {
        s.keys.ack(e.seq, 'b', 'sig-b', 't');
        expect(s.keys.latest()?.acked).toEqual(['b']);
        throw new Error('roll back');
      })
    ).toThrow('roll back');
    expect(s.keys.latest()?.acked).toEqual([]);
  });

  it('hands out copies: changing one changes neither the cache nor the next read', () => {
    const s = open();
    const e = create(s);
    s.keys.storeBundle(e.seq, bundle);
    const got = s.keys.latest()!;
    got.members.push({ name: 'evil', signingKey: '00', boxKey: '00' });
    got.publicKey!.fill(0);
    got.acked.push('evil');
    got.encryptedSecretKey!.fill(0);
    (got.sealedDataKeys as Record<string, string>)['evil'] = 'x';
    const again = s.keys.latest()!;
    expect(again.members.map((m) => m.name)).toEqual(['a', 'b']);
    expect(again.publicKey).toEqual(bundle.publicKey);
    expect(again.acked).toEqual([]);
    expect(again.encryptedSecretKey).toEqual(bundle.encryptedSecretKey);
    expect(again.sealedDataKeys).toEqual(bundle.sealedDataKeys);
  });
});
