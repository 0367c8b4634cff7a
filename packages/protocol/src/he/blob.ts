import { ProtocolError, type ErrorCode } from '../errors.ts';

/**
 * SEAL 4.x serialization header (SEAL native/src/seal/serialization.h, `SEALHeader`, 16 bytes,
 * little-endian): magic u16 = 0xA15E, header_size u8 = 16, version_major u8, version_minor u8,
 * compr_mode u8 (0 none, 1 zlib, 2 zstd), reserved u16 = 0, size u64 = total bytes incl. header.
 *
 * We check it in JS before SEAL sees the bytes: node-seal's WASM build aborts (rather than throws)
 * on some truncated inputs whose header lies about their size, and an abort must never be
 * reachable from a peer's bytes.
 */
export const SEAL_MAGIC = 0xa15e;
export const SEAL_HEADER_SIZE = 16;
export const SEAL_COMPR_MODES = { none: 0, zlib: 1, zstd: 2 } as const;
/** Upper bound for one serialized SEAL object we accept (a full N=8192 ciphertext is ~530 KB raw). */
export const MAX_SEAL_BLOB_BYTES = 4 * 1024 * 1024;

export interface SealBlobHeader {
  versionMajor: number;
  versionMinor: number;
  comprMode: number;
  size: number;
}

/**
 * Parses and checks the header of a serialized SEAL object. Throws ProtocolError(code) naming
 * `label` and the defect; only zstd-compressed blobs are accepted (everything we produce is).
 */
export function checkSealBlob(
  bytes: Uint8Array,
  label: string,
  code: ErrorCode = 'BAD_CIPHERTEXT'
): SealBlobHeader {
  const fail = (why: string): never => {
    throw new ProtocolError(code, `${label}: ${why}`);
  };
  if (!(bytes instanceof Uint8Array)) fail('expected bytes');
  if (bytes.length < SEAL_HEADER_SIZE)
    fail(`truncated: ${bytes.length} bytes, a SEAL header alone is ${SEAL_HEADER_SIZE}`);
  if (bytes.length > MAX_SEAL_BLOB_BYTES)
    fail(`too large: ${bytes.length} bytes (limit ${MAX_SEAL_BLOB_BYTES})`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint16(0, true) !== SEAL_MAGIC) fail('not a SEAL object (bad magic)');
  if (view.getUint8(2) !== SEAL_HEADER_SIZE) fail('unsupported SEAL header size');
  const versionMajor = view.getUint8(3);
  const versionMinor = view.getUint8(4);
  if (versionMajor !== 4)
    fail(`SEAL serialization version ${versionMajor}.${versionMinor} is not supported (need 4.x)`);
  const comprMode = view.getUint8(5);
  if (comprMode !== SEAL_COMPR_MODES.zstd)
    fail(`compression mode ${comprMode} is not accepted (need zstd = 2)`);
  if (view.getUint16(6, true) !== 0) fail('reserved header bytes are not zero');
  const size = view.getBigUint64(8, true);
  if (size !== BigInt(bytes.length))
    fail(`header says ${size} bytes but ${bytes.length} were given (truncated or padded)`);
  return { versionMajor, versionMinor, comprMode, size: bytes.length };
}
