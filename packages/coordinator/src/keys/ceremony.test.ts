import { describe, expect, it } from 'vitest';
import {
  KEY_ACK_DOMAIN,
  KEY_BUNDLE_DOMAIN,
  keyAckSigningPayload,
  keyBundleSigningPayload,
  sha256Hex,
  signCanonical,
} from '@fedmark/protocol';
import {
  admit,
  fakeSealBlob,
  federation,
  harness,
  keyAck,
  keyBundle,
  testNode,
  json,
} from '../_testing.ts';

const a = testNode('alpha', 11);
const b = testNode('beta', 12);
const c = testNode('gamma', 13);
const d = testNode('delta', 14);
const pk = fakeSealBlob(200);

/** `bundle` signed afresh by `generator`: a generator that itself sent the changed fields. */
function keyBundleWith(generator: typeof a, bundle: ReturnType<typeof keyBundle>) {
  const { signature: _old, ...rest } = bundle;
  const signature = signCanonical(
    KEY_BUNDLE_DOMAIN,
    keyBundleSigningPayload(rest),
    generator.signing.secretKey
  );
  return { ...rest, signature };
}
const segmentJob = {
  version: 1,
  kind: 'segment_stats',
  query: {
    version: 1,
    kind: 'segment_stats',
    purpose: 'analytics',
    asOf: '2026-01-01',
    epsilon: 0.5,
  },
};

describe('key ceremony', () => {
  it('goes generating -> installing -> active, relaying the sealed key and data keys as opaque blobs', async () => {
    const h = harness();
    for (const n of [a, b, c]) await admit(h, n);
    expect(h.store.keys.list().map((e) => [e.keyId, e.state])).toEqual([
      ['k1', 'retired'],
      ['k2', 'retired'],
      ['k3', 'generating'],
    ]);
    const creating = await h.op('POST', '/v1/jobs', segmentJob);
    expect(creating.status).toBe(409);
    expect(await json(creating)).toEqual({
      error: {
        code: 'KEY_EPOCH_PENDING',
        message: 'key epoch k3 is not active: waiting for alpha to generate the HE keys',
      },
    });

    const bundle = keyBundle(a, 'k3', pk, [b, c]);
    const res = await h.node(a, 'POST', '/v1/node/keys/k3', bundle);
    expect(res.status).toBe(200);
    expect((await json(res)).epoch).toMatchObject({
      keyId: 'k3',
      state: 'installing',
      generator: 'alpha',
      publicKeyHash: sha256Hex(pk),
      acked: ['alpha'],
    });

    const tasks = (await (await h.node(b, 'GET', '/v1/node/tasks')).json()).tasks;
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({
      type: 'key_install',
      keyId: 'k3',
      generator: 'alpha',
      publicKey: bundle.publicKey,
      encryptedSecretKey: bundle.encryptedSecretKey,
      bundleSignature: bundle.signature,
    });
    // Beta gets its own sealed data key only, and the hashes of everyone's.
    expect(tasks[0].sealedDataKey).toBe(bundle.sealedDataKeys['beta']);
    expect(JSON.stringify(tasks[0])).not.toContain(bundle.sealedDataKeys['gamma']);
    expect(tasks[0].sealedDataKeyHashes).toEqual({
      beta: sha256Hex(Buffer.from(bundle.sealedDataKeys['beta'] as string, 'base64')),
      gamma: sha256Hex(Buffer.from(bundle.sealedDataKeys['gamma'] as string, 'base64')),
    });

    expect((await h.node(b, 'POST', '/v1/node/keys/k3/ack', keyAck(b, 'k3', pk))).status).toBe(200);
    expect(h.store.keys.get('k3')?.state).toBe('installing');
    const last = await h.node(c, 'POST', '/v1/node/keys/k3/ack', keyAck(c, 'k3', pk));
    expect((await json(last)).epoch.state).toBe('active');
    expect((await (await h.node(b, 'GET', '/v1/node/tasks')).json()).tasks).toEqual([]);
    expect(JSON.stringify(h.store.keys.get('k3'))).not.toContain('secret');
  });

  it('refuses a bundle from a non-generator (403), with the wrong recipients (400) or a bad signature (401)', async () => {
    const h = harness();
    for (const n of [a, b, c]) await admit(h, n);
    const notGen = await h.node(b, 'POST', '/v1/node/keys/k3', keyBundle(b, 'k3', pk, [a, c]));
    expect(notGen.status).toBe(403);
    expect(await json(notGen)).toEqual({
      error: { code: 'FORBIDDEN', message: 'node beta is not the generator of k3 (alpha is)' },
    });
    const missing = await h.node(a, 'POST', '/v1/node/keys/k3', keyBundle(a, 'k3', pk, [b]));
    expect(missing.status).toBe(400);
    expect(await json(missing)).toEqual({
      error: {
        code: 'BAD_REQUEST',
        message: 'sealed keys must be for exactly [beta, gamma], got [beta]',
      },
    });
    const forged = {
      ...keyBundle(a, 'k3', pk, [b, c]),
      signature: keyBundle(b, 'k3', pk, [b, c]).signature,
    };
    const bad = await h.node(a, 'POST', '/v1/node/keys/k3', forged);
    expect(bad.status).toBe(401);
    expect((await json(bad)).error.code).toBe('INVALID_SIGNATURE');
    // Signed by the generator, but over a member set with another key for gamma: the generator
    // pinned other members than the epoch has (docs/federation-protocol.md "Key ceremony").
    const otherGamma = testNode('gamma', 99);
    const split = await h.node(
      a,
      'POST',
      '/v1/node/keys/k3',
      keyBundle(a, 'k3', pk, [b, otherGamma])
    );
    expect(split.status).toBe(400);
    expect(await json(split)).toEqual({
      error: {
        code: 'KEY_MISMATCH',
        message: "key bundle k3 is for another member set than the epoch's (alpha, beta, gamma)",
      },
    });
    const garbage = await h.node(
      a,
      'POST',
      '/v1/node/keys/k3',
      keyBundle(a, 'k3', new Uint8Array(64).fill(1), [b, c])
    );
    expect(garbage.status).toBe(400);
    expect(await json(garbage)).toEqual({
      error: { code: 'BAD_REQUEST', message: 'HE public key: not a SEAL object (bad magic)' },
    });
    expect(h.store.keys.get('k3')?.state).toBe('generating');
  });

  it('refuses a bundle whose blob or sealed data keys were changed after signing (401), or of impossible sizes (400)', async () => {
    const h = harness();
    for (const n of [a, b, c]) await admit(h, n);
    const good = keyBundle(a, 'k3', pk, [b, c]);
    const swappedBlob = { ...good, encryptedSecretKey: Buffer.alloc(300, 1).toString('base64') };
    const blobRes = await h.node(a, 'POST', '/v1/node/keys/k3', swappedBlob);
    expect(blobRes.status).toBe(401);
    expect(await json(blobRes)).toEqual({
      error: {
        code: 'INVALID_SIGNATURE',
        message: 'key bundle signature of alpha does not verify',
      },
    });
    const swappedKey = {
      ...good,
      sealedDataKeys: { ...good.sealedDataKeys, beta: good.sealedDataKeys['gamma'] },
    };
    expect((await h.node(a, 'POST', '/v1/node/keys/k3', swappedKey)).status).toBe(401);
    const longKey = {
      ...good,
      sealedDataKeys: { ...good.sealedDataKeys, beta: Buffer.alloc(90).toString('base64') },
    };
    const longRes = await h.node(a, 'POST', '/v1/node/keys/k3', longKey);
    expect(longRes.status).toBe(400);
    expect((await json(longRes)).error.code).toBe('BAD_REQUEST');
    // Signed, but too short to hold any sealed SEAL object.
    const tiny = keyBundle(a, 'k3', pk, [b, c]);
    const tinyBlob = { ...tiny, encryptedSecretKey: Buffer.alloc(48, 1).toString('base64') };
    const resigned = keyBundleWith(a, tinyBlob);
    const tinyRes = await h.node(a, 'POST', '/v1/node/keys/k3', resigned);
    expect(tinyRes.status).toBe(400);
    expect(await json(tinyRes)).toEqual({
      error: {
        code: 'BAD_REQUEST',
        message: 'encryptedSecretKey: 48 bytes cannot hold a sealed SEAL secret key',
      },
    });
    const v1 = { ...good, version: 1 };
    expect((await h.node(a, 'POST', '/v1/node/keys/k3', v1)).status).toBe(400);
    expect(h.store.keys.get('k3')?.state).toBe('generating');
  });

  it('refuses an ack naming another public key with KEY_MISMATCH and keeps the epoch installing', async () => {
    const h = harness();
    for (const n of [a, b, c]) await admit(h, n);
    await h.node(a, 'POST', '/v1/node/keys/k3', keyBundle(a, 'k3', pk, [b, c]));
    const wrong = await h.node(
      b,
      'POST',
      '/v1/node/keys/k3/ack',
      keyAck(b, 'k3', fakeSealBlob(200, 9))
    );
    expect(wrong.status).toBe(400);
    expect((await json(wrong)).error.code).toBe('KEY_MISMATCH');
    const ackBody = {
      version: 1,
      keyId: 'k3',
      publicKeyHash: sha256Hex(pk),
      signature: signCanonical(
        KEY_ACK_DOMAIN,
        keyAckSigningPayload({ keyId: 'k3', publicKeyHash: sha256Hex(pk) }),
        c.signing.secretKey
      ),
    };
    const forged = await h.node(b, 'POST', '/v1/node/keys/k3/ack', ackBody);
    expect(forged.status).toBe(401);
    expect(h.store.keys.get('k3')?.state).toBe('installing');
  });

  it('rotates on membership change: the old key stays active until the new one is, then is retired', async () => {
    const h = harness();
    await federation(h, [a, b, c], pk);
    expect(h.store.keys.get('k3')?.state).toBe('active');
    await admit(h, d);
    expect(h.store.keys.list().map((e) => e.state)).toEqual([
      'retired',
      'retired',
      'active',
      'generating',
    ]);
    expect(h.store.keys.get('k4')?.generator).toBe('alpha');
    expect(h.store.keys.get('k4')?.members.map((m) => m.name)).toEqual([
      'alpha',
      'beta',
      'delta',
      'gamma',
    ]);
    const pk2 = fakeSealBlob(200, 3);
    await h.node(a, 'POST', '/v1/node/keys/k4', keyBundle(a, 'k4', pk2, [b, d, c]));
    for (const n of [b, c, d])
      await h.node(n, 'POST', '/v1/node/keys/k4/ack', keyAck(n, 'k4', pk2));
    expect(h.store.keys.list().map((e) => e.state)).toEqual([
      'retired',
      'retired',
      'retired',
      'active',
    ]);
    const removed = await h.op('DELETE', '/v1/admin/nodes/delta');
    expect(removed.status).toBe(200);
    expect(h.store.keys.get('k5')?.members.map((m) => m.name)).toEqual(['alpha', 'beta', 'gamma']);
    expect((await h.node(d, 'GET', '/v1/node/tasks')).status).toBe(401);
  });
});
