import { describe, expect, it } from 'vitest';
import { ProtocolError } from '../errors.ts';
import { checkSealBlob, SEAL_MAGIC } from './blob.ts';

function header(
  opts: {
    magic?: number;
    hsize?: number;
    major?: number;
    compr?: number;
    reserved?: number;
    size?: bigint;
    total?: number;
  } = {}
): Uint8Array {
  const total = opts.total ?? 64;
  const b = new Uint8Array(total);
  const v = new DataView(b.buffer);
  v.setUint16(0, opts.magic ?? SEAL_MAGIC, true);
  v.setUint8(2, opts.hsize ?? 16);
  v.setUint8(3, opts.major ?? 4);
  v.setUint8(4, 1);
  v.setUint8(5, opts.compr ?? 2);
  v.setUint16(6, opts.reserved ?? 0, true);
  v.setBigUint64(8, opts.size ?? BigInt(total), true);
  return b;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return `${e.code}: ${e.message}`;
    throw e;
  }
  return 'no error';
}

describe('checkSealBlob', () => {
  it('accepts a consistent zstd header', () => {
    expect(checkSealBlob(header(), 'ct')).toEqual({
      versionMajor: 4,
      versionMinor: 1,
      comprMode: 2,
      size: 64,
    });
  });

  it('rejects each malformed header with BAD_CIPHERTEXT naming the defect', () => {
    expect(code(() => checkSealBlob(new Uint8Array(3), 'ct 0'))).toBe(
      'BAD_CIPHERTEXT: ct 0: truncated: 3 bytes, a SEAL header alone is 16'
    );
    expect(code(() => checkSealBlob(header({ magic: 0x1234 }), 'ct'))).toMatch(/bad magic/);
    expect(code(() => checkSealBlob(header({ hsize: 15 }), 'ct'))).toMatch(/header size/);
    expect(code(() => checkSealBlob(header({ major: 3 }), 'ct'))).toMatch(
      /version 3\.1 is not supported/
    );
    expect(code(() => checkSealBlob(header({ compr: 0 }), 'ct'))).toMatch(
      /compression mode 0 is not accepted/
    );
    expect(code(() => checkSealBlob(header({ reserved: 1 }), 'ct'))).toMatch(/reserved/);
    expect(code(() => checkSealBlob(header({ size: 100n }), 'ct'))).toBe(
      'BAD_CIPHERTEXT: ct: header says 100 bytes but 64 were given (truncated or padded)'
    );
    expect(code(() => checkSealBlob(header().subarray(0, 40), 'ct'))).toMatch(
      /header says 64 bytes but 40/
    );
    expect(code(() => checkSealBlob(header({ total: 5 * 1024 * 1024 }), 'ct'))).toMatch(
      /too large/
    );
  });

  it('uses the caller-chosen error code for keys', () => {
    expect(code(() => checkSealBlob(new Uint8Array(0), 'HE public key', 'BAD_REQUEST'))).toMatch(
      /^BAD_REQUEST: HE public key: truncated/
    );
  });
});
