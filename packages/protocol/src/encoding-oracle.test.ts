import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { canonicalBytes, withCanonicalBytes, type Canonical } from './encoding.ts';
import { DOMAIN_PREFIX } from './version.ts';

/*
 * The format read plainly, frame by frame: the oracle the fast single-buffer encoder in
 * encoding.ts must match byte for byte (test-only; it allocates per frame and is slow).
 */
const TAG = {
  null: 0,
  false: 1,
  true: 2,
  int: 3,
  float: 4,
  string: 5,
  bytes: 6,
  array: 7,
  object: 8,
} as const;

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
      if (!Number.isSafeInteger(value))
        throw new RangeError(`"${path}" integer outside the safe range; use a bigint`);
      return frame(TAG.int, [utf8.encode(value.toString(10))]);
    }
    return frame(TAG.float, [utf8.encode(String(value))]);
  }
  if (typeof value === 'string') return frame(TAG.string, [utf8.encode(value)]);
  if (value instanceof Uint8Array) return frame(TAG.bytes, [value]);
  if (Array.isArray(value)) {
    return frame(
      TAG.array,
      (value as readonly Canonical[]).flatMap((v, i) => encodeParts(v, `${path}[${i}]`))
    );
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError(`"${path}" is not a plain object`);
    const entries = Object.entries(value as Record<string, Canonical | undefined>)
      .filter((e): e is [string, Canonical] => e[1] !== undefined)
      .map(([k, v]) => [utf8.encode(k), k, v] as const)
      .sort((a, b) => compareBytes(a[0], b[0]));
    return frame(
      TAG.object,
      entries.flatMap(([kb, k, v]) => [
        ...frame(TAG.string, [kb]),
        ...encodeParts(v, `${path}.${k}`),
      ])
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

function oracleBytes(domain: string, value: Canonical): Uint8Array {
  if (!/^[a-z0-9][a-z0-9.-]*$/.test(domain))
    throw new RangeError(`"domain" must be lower-case kebab, got ${domain}`);
  return concat([
    ...frame(TAG.string, [utf8.encode(DOMAIN_PREFIX + domain)]),
    ...encodeParts(value, '$'),
  ]);
}

/** Hex of the encoding, or the error class name when encoding refuses the value. */
function outcome(f: () => Uint8Array): string {
  try {
    return Buffer.from(f()).toString('hex');
  } catch (e) {
    return `throws ${(e as Error).name}`;
  }
}
const same = (domain: string, v: Canonical) =>
  expect(outcome(() => canonicalBytes(domain, v))).toBe(outcome(() => oracleBytes(domain, v)));

describe('canonicalBytes against the plain oracle', () => {
  it('matches on fixed vectors', () => {
    same('ledger-entry', {
      seq: 0,
      type: 'import',
      at: '2025-01-01T00:00:00.000Z',
      subject: null,
      body: { a: 1, b: [true, false, null], eps: 0.25 },
      commitment: null,
      prevHash: '0'.repeat(64),
    });
    same('x', { é: 1, e: 2, '\u{1F600}': 3, '\uFFFF': 4, z: 'naïve 😀' });
    same('x', [1n, 2 ** 53 - 1, -7, 1.5e-7, 123.456, new Uint8Array([0, 255])]);
    same('x', [1e21]);
    same('x', { u: undefined, n: null, nested: { deep: [{}] } });
    // Long strings take the native UTF-8 writer: a base64 body, non-ASCII, lone surrogates.
    same('x', [
      'QUJD'.repeat(75_000),
      `${'a'.repeat(40)}é😀`,
      `${'b'.repeat(40)}\ud800`,
      '\udc00'.repeat(33),
    ]);
  });

  it('matches on random JSON-like values', () => {
    const leaf = fc.oneof(
      fc.constant(null),
      fc.boolean(),
      fc.integer(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).filter((d) => !Object.is(d, -0)),
      fc.string({ unit: 'grapheme' }),
      fc.string(),
      fc.string({ unit: 'binary', minLength: 20, maxLength: 80 }),
      fc.string({ minLength: 30, maxLength: 80 }),
      fc.bigInt(),
      fc.uint8Array({ maxLength: 8 })
    );
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('v'), { maxLength: 4 }),
        fc.dictionary(fc.string({ unit: 'grapheme' }), tie('v'), { maxKeys: 4 })
      ),
    })).v as fc.Arbitrary<Canonical>;
    fc.assert(
      fc.property(
        value,
        (v) => outcome(() => canonicalBytes('p', v)) === outcome(() => oracleBytes('p', v))
      ),
      { numRuns: 500 }
    );
  });

  it('returns independent copies although the encoder reuses one buffer', () => {
    const a = canonicalBytes('x', { a: 'first' });
    const b = canonicalBytes('x', { b: 'second value, longer' });
    expect(Buffer.from(a).equals(Buffer.from(oracleBytes('x', { a: 'first' })))).toBe(true);
    expect(
      Buffer.from(b).equals(Buffer.from(oracleBytes('x', { b: 'second value, longer' })))
    ).toBe(true);
  });

  it('withCanonicalBytes hands the same bytes to the sink without a copy', () => {
    const hex = withCanonicalBytes('x', { k: [1, 'two'] }, (bytes) =>
      Buffer.from(bytes).toString('hex')
    );
    expect(hex).toBe(Buffer.from(oracleBytes('x', { k: [1, 'two'] })).toString('hex'));
  });

  it('refuses what the oracle refuses', () => {
    expect(() => canonicalBytes('x', Number.NaN)).toThrow(RangeError);
    expect(() => canonicalBytes('x', -0)).toThrow(RangeError);
    expect(() => canonicalBytes('x', 2 ** 60)).toThrow(RangeError);
    expect(() => canonicalBytes('Bad', 1)).toThrow(RangeError);
    expect(() => canonicalBytes('x', new Date() as unknown as Canonical)).toThrow(TypeError);
  });
});
