import { DOMAIN_PREFIX } from './version.ts';

/**
 * Canonical, injective byte encoding of JSON-like values, used for every hash and signature.
 *
 * Each value is `tag(1 byte) || length(u32 BE) || payload`, so `['ab','cd']` and `['a','bcd']`
 * encode differently (cf. NIST SP 800-185 left_encode / noble's tuple hashing). Object keys are
 * sorted by their UTF-8 bytes. Integers (safe-range numbers and bigints) share one tag and a
 * decimal payload, so `1` and `1n` encode alike; non-integer numbers get their own tag and the
 * ECMAScript shortest round-trip string, which is deterministic. NaN, Infinity and -0 are
 * refused: they have no stable meaning across peers. `undefined` object fields are skipped (as
 * JSON does) so an optional field that is absent and one that is undefined sign alike.
 *
 * Implementation: one growing buffer reused across calls (encoding is synchronous, so calls never
 * interleave), ASCII fast paths for strings and keys; no allocation per frame. Hashing a 1M-entry
 * ledger is dominated by this function, so it is written for speed. The plain frame-by-frame
 * reading of the format lives in encoding-oracle.test.ts and is checked against this one.
 */
export type Canonical =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Canonical[]
  | { readonly [key: string]: Canonical | undefined };

const TAG_NULL = 0;
const TAG_FALSE = 1;
const TAG_TRUE = 2;
const TAG_INT = 3;
const TAG_FLOAT = 4;
const TAG_STRING = 5;
const TAG_BYTES = 6;
const TAG_ARRAY = 7;
const TAG_OBJECT = 8;

class Writer {
  buf = Buffer.allocUnsafe(1024);
  pos = 0;

  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + n) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Writes tag and a length placeholder; returns the placeholder offset. */
  open(tag: number): number {
    this.ensure(5);
    this.buf[this.pos] = tag;
    const at = this.pos + 1;
    this.pos += 5;
    return at;
  }

  close(at: number): void {
    const len = this.pos - at - 4;
    if (len > 0xffffffff) throw new RangeError('canonical value larger than 4 GiB');
    this.buf.writeUInt32BE(len, at);
  }

  string(tag: number, s: string): void {
    const at = this.open(tag);
    const n = s.length;
    if (n < 32) {
      // Short strings (keys, numbers, labels): a byte loop beats the call into the encoder.
      this.ensure(n);
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c > 0x7f) break;
        this.buf[this.pos + i] = c;
      }
      if (i === n) {
        this.pos += n;
        this.close(at);
        return;
      }
    }
    // Node's UTF-8 encoder writes in place (the same bytes as Buffer.from(s, 'utf8') and
    // TextEncoder: lone surrogates become U+FFFD). At most 3 bytes per UTF-16 unit. Long
    // strings are mostly base64 ciphertexts and keys, hundreds of kilobytes in every signed
    // body, where a byte-by-byte loop was the largest part of signing and verifying.
    this.ensure(3 * n);
    this.pos += this.buf.write(s, this.pos, 'utf8');
    this.close(at);
  }

  bytes(b: Uint8Array): void {
    const at = this.open(TAG_BYTES);
    this.ensure(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
    this.close(at);
  }
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return false;
  return true;
}

/** Orders keys by their UTF-8 bytes, as encoding.ts does (UTF-16 order differs for astral and surrogate code units). */
function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function encode(w: Writer, value: Canonical, path: string): void {
  if (value === null) {
    w.close(w.open(TAG_NULL));
  } else if (value === true) {
    w.close(w.open(TAG_TRUE));
  } else if (value === false) {
    w.close(w.open(TAG_FALSE));
  } else if (typeof value === 'string') {
    w.string(TAG_STRING, value);
  } else if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0))
      throw new RangeError(`"${path}" is not encodable: ${String(value)}`);
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value))
        throw new RangeError(`"${path}" integer outside the safe range; use a bigint`);
      w.string(TAG_INT, value.toString(10));
    } else {
      w.string(TAG_FLOAT, String(value));
    }
  } else if (typeof value === 'bigint') {
    w.string(TAG_INT, value.toString(10));
  } else if (value instanceof Uint8Array) {
    w.bytes(value);
  } else if (Array.isArray(value)) {
    const at = w.open(TAG_ARRAY);
    const arr = value as readonly Canonical[];
    for (let i = 0; i < arr.length; i++) encode(w, arr[i] as Canonical, `${path}[${i}]`);
    w.close(at);
  } else if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`"${path}" is not a plain object`);
    const obj = value as Record<string, Canonical | undefined>;
    const keys = Object.keys(obj).filter((k) => obj[k] !== undefined);
    // For ASCII keys UTF-16 order (the default sort) is UTF-8 byte order; check once, not per comparison.
    if (keys.every(isAscii)) keys.sort();
    else keys.sort(compareKeys);
    const at = w.open(TAG_OBJECT);
    for (const k of keys) {
      w.string(TAG_STRING, k);
      encode(w, obj[k] as Canonical, `${path}.${k}`);
    }
    w.close(at);
  } else {
    throw new TypeError(`"${path}" has unsupported type ${typeof value}`);
  }
}

const DOMAIN_RE = /^[a-z0-9][a-z0-9.-]*$/;

// One writer reused by every call: encoding is synchronous, so no call can interleave.
const shared = new Writer();

function encodeShared(domain: string, value: Canonical): Buffer {
  if (!DOMAIN_RE.test(domain))
    throw new RangeError(`"domain" must be lower-case kebab, got ${domain}`);
  shared.pos = 0;
  shared.string(TAG_STRING, DOMAIN_PREFIX + domain);
  encode(shared, value, '$');
  return shared.buf.subarray(0, shared.pos);
}

/**
 * Canonical bytes of `value` under a domain tag (e.g. 'submission', 'ledger-entry'), so a
 * signature made for one kind of message can never be replayed as another kind. A fresh copy.
 */
export function canonicalBytes(domain: string, value: Canonical): Uint8Array {
  return new Uint8Array(encodeShared(domain, value));
}

/**
 * Feeds the canonical bytes to `sink` without copying them; the view is only valid during the
 * call (the buffer is reused by the next encoding).
 */
export function withCanonicalBytes<T>(
  domain: string,
  value: Canonical,
  sink: (bytes: Buffer) => T
): T {
  return sink(encodeShared(domain, value));
}
