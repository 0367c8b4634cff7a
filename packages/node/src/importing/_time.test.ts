import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAny, parseTime } from './_time.ts';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

// Dates and datetimes in the two common shapes, with out-of-range parts (month 13, day 31 of a
// 30-day month, 29 February of non-leap years, hour 24, years below 100), plus other shapes.
const common = fc
  .tuple(
    fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(1900, 2000, 2023, 2024, 2100)),
    fc.integer({ min: 0, max: 13 }),
    fc.integer({ min: 0, max: 32 }),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 }),
    fc.constantFrom('', 'T', ' ', 'x')
  )
  .map(([y, m, d, hh, mm, ss, sep]) => {
    const date = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
    return sep === '' ? date : `${date}${sep}${pad(hh, 2)}:${pad(mm, 2)}:${pad(ss, 2)}Z`;
  });
const noise = fc.string({ unit: fc.constantFrom(...'0123456789-:TZ +.'.split('')), maxLength: 22 });

describe('parseTime', () => {
  it('gives exactly what the general parser gives, on the common shapes and near them', () => {
    fc.assert(
      fc.property(fc.oneof(common, noise), (s) => {
        expect(parseTime(s)).toBe(parseAny(s));
      }),
      { numRuns: 20_000, seed: 16 }
    );
  });

  it('reads the common shapes as UTC', () => {
    expect(parseTime('2024-02-29')).toBe(Date.UTC(2024, 1, 29));
    expect(parseTime('2023-02-29')).toBeNull();
    expect(parseTime('1969-12-31T23:59:59Z')).toBe(-1000);
    expect(parseTime('0099-01-01')).toBeNull();
  });
});
