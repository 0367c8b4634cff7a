import { mkdtempSync, chmodSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publicKeyHash } from '@fedmark/protocol';
import {
  changedMemberKeys,
  hasHeKey,
  listHeKeyIds,
  loadHeKey,
  saveHeKey,
  type StoredHeKey,
} from './he-keys.ts';

function key(over: Partial<StoredHeKey> = {}): StoredHeKey {
  const publicKey = new Uint8Array([1, 2, 3, 4, 5, 6]);
  return {
    keyId: 'k1',
    heParams: 'bfv-8192-t40',
    generator: 'a',
    members: [{ name: 'a', signingKey: 'a'.repeat(64), boxKey: 'b'.repeat(64) }],
    publicKey,
    publicKeyHash: publicKeyHash(publicKey),
    secretKey: new Uint8Array([9, 9, 9, 9]),
    ...over,
  };
}

describe('HE key storage', () => {
  it('saves with mode 0600 and loads the same key back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'he-keys-'));
    expect(hasHeKey(dir, 'k1')).toBe(false);
    saveHeKey(dir, key());
    const file = join(dir, 'he-keys', 'k1.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'he-keys')).mode & 0o777).toBe(0o700);
    expect(hasHeKey(dir, 'k1')).toBe(true);
    const back = loadHeKey(dir, 'k1');
    expect(back.secretKey).toEqual(new Uint8Array([9, 9, 9, 9]));
    expect(back.publicKeyHash).toBe(publicKeyHash(new Uint8Array([1, 2, 3, 4, 5, 6])));
    expect(back.members[0]?.name).toBe('a');
  });

  it('keeps an identical re-save and refuses a different key for the same epoch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'he-keys-'));
    saveHeKey(dir, key());
    saveHeKey(dir, key());
    const other = new Uint8Array([7, 7, 7, 7]);
    expect(() =>
      saveHeKey(dir, key({ publicKey: other, publicKeyHash: publicKeyHash(other) }))
    ).toThrow(/a different key for epoch k1 is already installed/);
  });

  it('refuses open permissions, corrupt files, bad ids and a hash mismatch without echoing key bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'he-keys-'));
    saveHeKey(dir, key());
    const file = join(dir, 'he-keys', 'k1.json');
    chmodSync(file, 0o644);
    expect(() => loadHeKey(dir, 'k1')).toThrow(/permissions 644 are too open/);
    chmodSync(file, 0o600);
    const json = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...json, publicKeyHash: '0'.repeat(64) }), {
      mode: 0o600,
    });
    expect(() => loadHeKey(dir, 'k1')).toThrow(/publicKeyHash does not match publicKey/);
    writeFileSync(file, '{', { mode: 0o600 });
    expect(() => loadHeKey(dir, 'k1')).toThrow(/corrupt HE key file \(not valid JSON\)/);
    expect(() => loadHeKey(dir, '../x')).toThrow(/"keyId" expected a key id like k3/);
    expect(() => loadHeKey(dir, 'k2')).toThrow(/HE key epoch k2 is not installed/);
    expect(() => saveHeKey(dir, key({ keyId: 'k3', publicKeyHash: 'f'.repeat(64) }))).toThrow(
      /publicKeyHash does not match/
    );
    try {
      loadHeKey(dir, 'k1');
    } catch (e) {
      expect(String(e)).not.toContain('CQkJCQ'); // base64 of the secret key bytes
    }
  });

  it('lists epochs in numeric order and reports members whose keys changed since an earlier epoch', () => {
    const dir = mkdtempSync(join(tmpdir(), 'he-keys-'));
    expect(listHeKeyIds(dir)).toEqual([]);
    const a = { name: 'a', signingKey: 'a'.repeat(64), boxKey: 'b'.repeat(64) };
    const c = { name: 'c', signingKey: 'c'.repeat(64), boxKey: 'd'.repeat(64) };
    saveHeKey(dir, key({ keyId: 'k10', members: [a] }));
    saveHeKey(dir, key({ keyId: 'k2', members: [a, c] }));
    expect(listHeKeyIds(dir)).toEqual(['k2', 'k10']);
    expect(
      changedMemberKeys(dir, [
        a,
        c,
        { name: 'new', signingKey: '1'.repeat(64), boxKey: '2'.repeat(64) },
      ])
    ).toEqual([]);
    expect(changedMemberKeys(dir, [{ ...a, boxKey: 'e'.repeat(64) }, c])).toEqual(['a']);
    expect(changedMemberKeys(dir, [a, { ...c, signingKey: 'f'.repeat(64) }], 'k11')).toEqual(['c']);
    expect(changedMemberKeys(dir, [{ ...c, signingKey: 'f'.repeat(64) }], 'k2')).toEqual([]);
  });

  it('serves a parsed key only while its file is unchanged: a rewrite is read again, opened-up permissions refused at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'he-keys-'));
    saveHeKey(dir, key());
    const file = join(dir, 'he-keys', 'k1.json');
    const first = loadHeKey(dir, 'k1');
    first.secretKey.fill(0); // callers zero their copy; the next load is unharmed
    expect(loadHeKey(dir, 'k1').secretKey).toEqual(new Uint8Array([9, 9, 9, 9]));
    const body = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    writeFileSync(file, JSON.stringify({ ...body, generator: 'b' }), { mode: 0o600 });
    expect(loadHeKey(dir, 'k1').generator).toBe('b');
    chmodSync(file, 0o644);
    expect(() => loadHeKey(dir, 'k1')).toThrow(/too open/);
  });
});
