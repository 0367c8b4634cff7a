import { beforeAll, describe, expect, it } from 'vitest';
import {
  KEY_BUNDLE_DOMAIN,
  KeyBundleSchema,
  KeyInstallTaskSchema,
  ProtocolError,
  bytesToHex,
  generateBoxKeyPair,
  generateSigningKeyPair,
  hybridSeal,
  keyBundleSigningPayload,
  sealedDataKeyHashes,
  signCanonical,
  toBase64,
  type KeyBundle,
  type KeyInstallTask,
  type Member,
} from '@fedmark/protocol';
import { loadHe } from '../crypto/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { openKeyInstall, sealKeyBundle } from './key-bundle.ts';

const HE_PARAMS = 'bfv-8192-t60';

function identity(name: string): NodeIdentity {
  return {
    name,
    signing: generateSigningKeyPair(),
    box: generateBoxKeyPair(),
    pepper: new Uint8Array(32),
  };
}
const memberOf = (id: NodeIdentity): Member => ({
  name: id.name,
  signingKey: bytesToHex(id.signing.publicKey),
  boxKey: bytesToHex(id.box.publicKey),
});

/** What the coordinator sends `member` (packages/coordinator/src/keys/ceremony.ts keyTasksFor). */
function taskFor(b: KeyBundle, member: string, members: Member[]): KeyInstallTask {
  return KeyInstallTaskSchema.parse({
    type: 'key_install',
    keyId: b.keyId,
    heParams: HE_PARAMS,
    members,
    generator: 'gen',
    publicKey: b.publicKey,
    encryptedSecretKey: b.encryptedSecretKey,
    sealedDataKey: b.sealedDataKeys[member],
    sealedDataKeyHashes: sealedDataKeyHashes(b.sealedDataKeys),
    bundleSignature: b.signature,
  });
}

const gen = identity('gen');
const alice = identity('alice');
const bob = identity('bob');
const members = [gen, alice, bob].map(memberOf);
let keys: { publicKey: Uint8Array; secretKey: Uint8Array };
let bundle: KeyBundle;

beforeAll(async () => {
  keys = (await loadHe(HE_PARAMS)).generateKeys();
  bundle = KeyBundleSchema.parse(
    sealKeyBundle(gen, {
      keyId: 'k7',
      members,
      publicKey: keys.publicKey,
      secretKey: keys.secretKey,
    })
  );
});

const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (err) {
    if (err instanceof ProtocolError) return `${err.code}: ${err.message}`;
    throw err;
  }
  throw new Error('expected a refusal');
};

describe('key bundle: the secret key sealed once, the data key boxed to each member', () => {
  it('every member opens the same secret key, and it decrypts what the public key encrypts', async () => {
    const he = await loadHe(HE_PARAMS);
    for (const m of [alice, bob]) {
      const opened = openKeyInstall(m, taskFor(bundle, m.name, members), members, memberOf(gen));
      expect(opened.secretKey).toEqual(keys.secretKey);
      expect(he.checkKeyPair(opened.secretKey, opened.publicKey)).toBe(true);
    }
    expect(Object.keys(bundle.sealedDataKeys).sort()).toEqual(['alice', 'bob']);
  });

  it('at 99 members the bundle is under 1 MB and each install task under 800 KB', async () => {
    // Version 1 boxed the whole secret key to every member: about 36 MB here, over the
    // coordinator's 32 MiB body limit (docs/scale.md "Node count").
    const many = Array.from({ length: 99 }, (_, i) => identity(`m-${i}`));
    const all = [gen, ...many].map(memberOf);
    const big = sealKeyBundle(gen, { keyId: 'k9', members: all, ...keys });
    const wire = JSON.stringify(big).length;
    expect(wire).toBeLessThan(1_000_000);
    // One shared blob, so the bundle is about the public key plus the secret key plus 99 small
    // boxes: far below the 99 whole copies.
    expect(wire).toBeLessThan(
      big.publicKey.length + big.encryptedSecretKey.length + 99 * (96 + 16) + 1000
    );
    const task = taskFor(big, 'm-42', all);
    expect(JSON.stringify(task).length).toBeLessThan(800_000);
    const m42 = many[42] as NodeIdentity;
    expect(openKeyInstall(m42, task, all, memberOf(gen)).secretKey).toEqual(keys.secretKey);
  });

  it('refuses a swapped encrypted secret key: the signature covers its hash', () => {
    const other = hybridSeal(
      new Uint8Array(1000),
      [{ name: 'alice', boxKey: alice.box.publicKey }],
      gen.box.secretKey
    );
    const task = {
      ...taskFor(bundle, 'alice', members),
      encryptedSecretKey: toBase64(other.encrypted),
    };
    expect(refusal(() => openKeyInstall(alice, task, members, memberOf(gen)))).toBe(
      'INVALID_SIGNATURE: key bundle k7 is not signed by its generator gen for the members this node accepted'
    );
  });

  it("refuses a tampered sealed data key, and a member handed another member's entry", () => {
    const task = taskFor(bundle, 'alice', members);
    const flipped = Buffer.from(task.sealedDataKey, 'base64');
    flipped[50] = (flipped[50] as number) ^ 1;
    const expected =
      'INVALID_SIGNATURE: sealed data key for alice is not the one the generator signed';
    expect(
      refusal(() =>
        openKeyInstall(
          alice,
          { ...task, sealedDataKey: flipped.toString('base64') },
          members,
          memberOf(gen)
        )
      )
    ).toBe(expected);
    const bobs = { ...task, sealedDataKey: bundle.sealedDataKeys['bob'] as string };
    expect(refusal(() => openKeyInstall(alice, bobs, members, memberOf(gen)))).toBe(expected);
  });

  it('refuses a blob the generator signed that does not open (Poly1305 fails)', () => {
    // A generator that signs what it sent but sealed garbage: the AEAD, not the signature, stops it.
    const task = taskFor(bundle, 'alice', members);
    const blob = Buffer.from(task.encryptedSecretKey, 'base64');
    blob[blob.length - 1] = (blob[blob.length - 1] as number) ^ 1;
    const tampered = { ...bundle, encryptedSecretKey: blob.toString('base64') };
    const resigned = {
      ...tampered,
      signature: signCanonical(
        KEY_BUNDLE_DOMAIN,
        keyBundleSigningPayload(tampered),
        gen.signing.secretKey
      ),
    };
    expect(
      refusal(() =>
        openKeyInstall(alice, taskFor(resigned, 'alice', members), members, memberOf(gen))
      )
    ).toBe("INVALID_SIGNATURE: sealed key for epoch k7 does not open with generator gen's box key");
  });

  it('refuses a bundle for other members than this node accepted', () => {
    const carol = identity('carol');
    const wider = [...members, memberOf(carol)];
    const b = sealKeyBundle(gen, { keyId: 'k7', members: wider, ...keys });
    // Signed over the wider set: alice's own pinned set does not verify.
    expect(
      refusal(() => openKeyInstall(alice, taskFor(b, 'alice', wider), members, memberOf(gen)))
    ).toBe(
      'INVALID_SIGNATURE: key bundle k7 is not signed by its generator gen for the members this node accepted'
    );
  });

  it('refuses sealed data keys of any size but 72 bytes at the schema', () => {
    const task = taskFor(bundle, 'alice', members);
    for (const bad of [
      toBase64(new Uint8Array(71)),
      toBase64(new Uint8Array(73)),
      toBase64(new Uint8Array(300_000)),
      '',
    ])
      expect(KeyInstallTaskSchema.safeParse({ ...task, sealedDataKey: bad }).success).toBe(false);
    const b = { ...bundle, sealedDataKeys: { alice: toBase64(new Uint8Array(80)) } };
    expect(KeyBundleSchema.safeParse(b).error?.issues.map((i) => i.message)).toEqual([
      'expected a sealed data key: 72 bytes as 96 base64 characters',
    ]);
  });
});
