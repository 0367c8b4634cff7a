/**
 * Compressed request bodies (docs/federation-protocol.md "Compressed bodies"). A node's large
 * bodies are mostly base64 (a BFV ciphertext is 216 KB of bytes, 289 KB of base64), which spends
 * 8 bits on 6 bits of information; gzip (RFC 1952, node:zlib) with Huffman coding only wins those
 * back in about 3 ms per submission, so what crosses the wire is about the ciphertext's own size.
 * The signature covers the JSON text, not the compressed bytes: the coordinator inflates first,
 * with a cap, then verifies exactly as before.
 */
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import { ProtocolError } from './errors.ts';

/** Bodies of at least this many bytes are sent gzip-compressed; smaller ones gain too little. */
export const GZIP_MIN_BODY_BYTES = 16 * 1024;

/** The body to send for a JSON text and the headers that describe it. */
export function encodeRequestBody(text: string): {
  body: string | Uint8Array;
  headers: Record<string, string>;
} {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length < GZIP_MIN_BODY_BYTES) return { body: text, headers: {} };
  const gz = gzipSync(bytes, { strategy: constants.Z_HUFFMAN_ONLY });
  return {
    body: new Uint8Array(gz.buffer, gz.byteOffset, gz.length),
    headers: { 'content-encoding': 'gzip' },
  };
}

/**
 * The body as sent before compression: `raw` itself without a Content-Encoding (or `identity`),
 * inflated for `gzip`, refused otherwise. Inflation stops at `maxBytes` (a small body that
 * inflates without bound is refused as too large, not inflated), and a corrupt stream is a bad
 * request.
 */
export function decodeRequestBody(
  raw: Uint8Array,
  encoding: string | undefined,
  maxBytes: number
): Uint8Array {
  const e = encoding?.trim().toLowerCase();
  if (e === undefined || e === '' || e === 'identity') return raw;
  if (e !== 'gzip')
    throw new ProtocolError(
      'BAD_REQUEST',
      `content-encoding "${e.slice(0, 32)}" is not accepted; send gzip or none`
    );
  try {
    const out = gunzipSync(raw, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.length);
  } catch (err) {
    if (err instanceof RangeError || (err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE')
      throw new ProtocolError('PAYLOAD_TOO_LARGE', `request body inflates past ${maxBytes} bytes`);
    throw new ProtocolError('BAD_REQUEST', 'request body is not a valid gzip stream');
  }
}
