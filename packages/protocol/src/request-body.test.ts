import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ProtocolError } from './errors.ts';
import { GZIP_MIN_BODY_BYTES, decodeRequestBody, encodeRequestBody } from './request-body.ts';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (err) {
    return err instanceof ProtocolError ? err.code : `not a ProtocolError: ${String(err)}`;
  }
  return undefined;
};

describe('request body encoding', () => {
  it('sends a small body as it is', () => {
    const text = JSON.stringify({ a: 'x'.repeat(GZIP_MIN_BODY_BYTES - 20) });
    expect(encodeRequestBody(text)).toEqual({ body: text, headers: {} });
    expect(decodeRequestBody(Buffer.from(text), undefined, 1 << 20)).toEqual(Buffer.from(text));
  });

  it('gzips a base64 ciphertext to about its bytes, and inflates it back exactly', () => {
    const ciphertext = randomBytes(216_000);
    const text = JSON.stringify({ jobId: 'j1', ciphertext: ciphertext.toString('base64') });
    const { body, headers } = encodeRequestBody(text);
    expect(headers).toEqual({ 'content-encoding': 'gzip' });
    expect(body).toBeInstanceOf(Uint8Array);
    const sent = body as Uint8Array;
    // base64 is 4/3 of the bytes; Huffman coding of its 64 symbols takes about 6 bits each.
    expect(text.length / ciphertext.length).toBeGreaterThan(1.33);
    expect(sent.length / ciphertext.length).toBeLessThan(1.01);
    const back = decodeRequestBody(sent, 'gzip', 32 << 20);
    expect(Buffer.from(back).toString('utf8')).toBe(text);
    expect(Buffer.from(decodeRequestBody(sent, ' GZIP ', 32 << 20)).toString('utf8')).toBe(text);
  });

  it('refuses a body that inflates past the cap (a decompression bomb), unread', () => {
    const bomb = gzipSync(Buffer.alloc(64 << 20)); // 64 MiB of zeros in about 64 KB
    expect(bomb.length).toBeLessThan(100_000);
    expect(codeOf(() => decodeRequestBody(bomb, 'gzip', 32 << 20))).toBe('PAYLOAD_TOO_LARGE');
  });

  it('refuses a corrupt stream and encodings other than gzip', () => {
    const gz = gzipSync(Buffer.from('{"a":1}'));
    gz[gz.length - 6] = (gz[gz.length - 6] as number) ^ 0xff; // the CRC no longer matches
    expect(codeOf(() => decodeRequestBody(gz, 'gzip', 1 << 20))).toBe('BAD_REQUEST');
    expect(codeOf(() => decodeRequestBody(Buffer.from('{}'), 'br', 1 << 20))).toBe('BAD_REQUEST');
    expect(codeOf(() => decodeRequestBody(Buffer.from('{}'), 'gzip, gzip', 1 << 20))).toBe(
      'BAD_REQUEST'
    );
    expect(codeOf(() => decodeRequestBody(Buffer.from('{}'), 'identity', 1 << 20))).toBe(undefined);
  });
});
