/**
 * Ed25519 sign and verify of a 300-byte canonical message, as every node request and wire message
 * is: node:crypto (OpenSSL, packages/protocol/src/ed25519.ts, what the product uses) against
 * tweetnacl (the comparator, what it used before), medians of repeated batches in one run.
 */
import nacl from 'tweetnacl';
import { ed25519Sign, ed25519Verify } from '../packages/protocol/src/ed25519.ts';

function perOpMs(ops: number, fn: () => void): number {
  const batches: number[] = [];
  for (let b = 0; b < 5; b++) {
    const t0 = performance.now();
    for (let i = 0; i < ops; i++) fn();
    batches.push((performance.now() - t0) / ops);
  }
  return batches.sort((x, y) => x - y)[2] as number;
}

export async function run(): Promise<Record<string, unknown>> {
  const kp = nacl.sign.keyPair();
  const msg = new Uint8Array(300).map((_, i) => i & 0xff);
  const sig = ed25519Sign(msg, kp.secretKey);
  const opensslSign = perOpMs(2000, () => ed25519Sign(msg, kp.secretKey));
  const opensslVerify = perOpMs(2000, () => ed25519Verify(msg, sig, kp.publicKey));
  const naclSign = perOpMs(40, () => nacl.sign.detached(msg, kp.secretKey));
  const naclVerify = perOpMs(40, () => nacl.sign.detached.verify(msg, sig, kp.publicKey));
  return {
    messageBytes: msg.length,
    nodeCrypto: { signMs: opensslSign, verifyMs: opensslVerify },
    tweetnacl: { signMs: naclSign, verifyMs: naclVerify },
    signRatio: naclSign / opensslSign,
    verifyRatio: naclVerify / opensslVerify,
  };
}
