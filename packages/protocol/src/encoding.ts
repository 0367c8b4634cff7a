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

const TAG = { null: 0, false: 1, true: 2, int: 3, float: 4, string: 5, bytes: 6, array: 7, object: 8 } as const;

const utf8 = new TextEncoder();

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function frame(tag: number, payload: Uint8Array[]): Uint8Array[] {
  const len = payload.reduce((s, p) => s + p.length, 0);
  if (len > 0xffffffff) throw new RangeError('canonical value larger than 4 GiB');
  const head = new Uint8Array(5);
  head[0] = tag;
  new DataView(head.buffer).setUint32(1, len);
  return [head, ...payload];
}

function encodeParts(value: Canonical, path: string): Uint8Array[] {
  if (value === null) return frame(TAG.null, []);
  if (value === true) return frame(TAG.true, []);
  if (value === false) return frame(TAG.false, []);
  if (typeof value === 'bigint') return frame(TAG.int, [utf8.encode(value.toString(10))]);
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || Object.is(value, -0)) {
      throw new RangeError(`"${path}" is not encodable: ${String(value)}`);
    }
    if (Number.isInteger(value)) {
      if (!Number.isSafeInteger(value)) throw new RangeError(`"${path}" integer outside the safe range; use a bigint`);
      return frame(TAG.int, [utf8.encode(value.toString(10))]);
    }
    return frame(TAG.float, [utf8.encode(String(value))]);
  }
  if (typeof value === 'string') return frame(TAG.string, [utf8.encode(value)]);
  if (value instanceof Uint8Array) return frame(TAG.bytes, [value]);
  if (Array.isArray(value)) {
    return frame(TAG.array, (value as readonly Canonical[]).flatMap((v, i) => encodeParts(v, `${path}[${i}]`)));
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new TypeError(`"${path}" is not a plain object`);
    const entries = Object.entries(value as Record<string, Canonical | undefined>)
      .filter((e): e is [string, Canonical] => e[1] !== undefined)
      .map(([k, v]) => [utf8.encode(k), k, v] as const)
      .sort((a, b) => compareBytes(a[0], b[0]));
    return frame(
      TAG.object,
      entries.flatMap(([kb, k, v]) => [...frame(TAG.string, [kb]), ...encodeParts(v, `${path}.${k}`)])
    );
  }
  throw new TypeError(`"${path}" has unsupported type ${typeof value}`);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Canonical bytes of `value` under a domain tag (e.g. 'submission', 'ledger-entry'), so a
 * signature made for one kind of message can never be replayed as another kind.
 */
export function canonicalBytes(domain: string, value: Canonical): Uint8Array {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(domain)) throw new RangeError(`"domain" must be lower-case kebab, got ${domain}`);
  return concat([...frame(TAG.string, [utf8.encode(DOMAIN_PREFIX + domain)]), ...encodeParts(value, '$')]);
}
