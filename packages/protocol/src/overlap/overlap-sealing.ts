import { ProtocolError } from '../errors.ts';
import { fromBase64, sha256Hex, toBase64 } from '../hashing.ts';
import { openBox, sealBox } from '../signing.ts';
import type { PsiReply } from '../psi/psi-cardinality.ts';
import { OVERLAP_CHUNK_BYTES, OVERLAP_MAX_CHUNKS } from './overlap-messages.ts';

/**
 * Sealing of overlap payloads (docs/overlap.md "Messages"): the packed points are cut into
 * chunks under the base64 bound, each sealed with tweetnacl's box from the sender's long-term box
 * key to the recipient's (authenticated: only the pinned peer could have sealed it), and the
 * sender signs the list of chunk hashes, so the relay can neither read, reorder nor drop chunks.
 */
export function sealOverlapPayload(
  payload: Uint8Array,
  recipientBoxKey: Uint8Array,
  senderBoxSecretKey: Uint8Array
): { sealed: string[]; sealedHashes: string[] } {
  const chunks = Math.max(1, Math.ceil(payload.length / OVERLAP_CHUNK_BYTES));
  if (chunks > OVERLAP_MAX_CHUNKS)
    throw new ProtocolError(
      'PAYLOAD_TOO_LARGE',
      `an overlap message of ${payload.length} bytes needs ${chunks} chunks; at most ${OVERLAP_MAX_CHUNKS} fit one request (docs/overlap.md "Limits")`
    );
  const sealed: string[] = [];
  const sealedHashes: string[] = [];
  for (let i = 0; i < chunks; i++) {
    const part = payload.subarray(i * OVERLAP_CHUNK_BYTES, (i + 1) * OVERLAP_CHUNK_BYTES);
    const box = sealBox(part, recipientBoxKey, senderBoxSecretKey);
    sealed.push(toBase64(box));
    sealedHashes.push(sha256Hex(box));
  }
  return { sealed, sealedHashes };
}

/** Checks every chunk against its signed hash, opens it from the sender's box key, joins them. */
export function openOverlapPayload(
  m: { sealed: readonly string[]; sealedHashes: readonly string[] },
  senderBoxKey: Uint8Array,
  recipientBoxSecretKey: Uint8Array
): Uint8Array {
  if (m.sealed.length !== m.sealedHashes.length)
    throw new ProtocolError(
      'BAD_REQUEST',
      'overlap message: sealed and sealedHashes differ in length'
    );
  const parts: Uint8Array[] = [];
  for (const [i, b64] of m.sealed.entries()) {
    const box = fromBase64(b64, `sealed[${i}]`);
    if (sha256Hex(box) !== m.sealedHashes[i])
      throw new ProtocolError(
        'BAD_REQUEST',
        `overlap message: sealed[${i}] does not match its signed hash`
      );
    try {
      parts.push(openBox(box, senderBoxKey, recipientBoxSecretKey));
    } catch {
      throw new ProtocolError(
        'BAD_REQUEST',
        `overlap message: sealed[${i}] does not open with the sender's pinned box key`
      );
    }
  }
  return Buffer.concat(parts);
}

/** A reply as one buffer: a 4-byte big-endian count of double-blinded bytes, then both sets. */
export function packPsiReply(reply: PsiReply): Uint8Array {
  const out = new Uint8Array(4 + reply.doubleBlinded.length + reply.responderBlinded.length);
  new DataView(out.buffer).setUint32(0, reply.doubleBlinded.length);
  out.set(reply.doubleBlinded, 4);
  out.set(reply.responderBlinded, 4 + reply.doubleBlinded.length);
  return out;
}

export function unpackPsiReply(bytes: Uint8Array): PsiReply {
  if (bytes.length < 4) throw new ProtocolError('BAD_REQUEST', 'overlap reply: truncated');
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
  if (n > bytes.length - 4)
    throw new ProtocolError(
      'BAD_REQUEST',
      'overlap reply: its double-blinded length runs past the end'
    );
  return {
    doubleBlinded: bytes.slice(4, 4 + n),
    responderBlinded: bytes.slice(4 + n),
  };
}
