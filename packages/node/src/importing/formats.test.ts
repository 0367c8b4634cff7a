import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAST_ACCEPT } from './formats.ts';

// Cells near every rule's edges: digits, signs, separators, time zones, control characters,
// non-ASCII text, and lengths around the 32/64/128 limits.
const cellChar = fc.constantFrom(
  ...'0123456789-+.:TZ _aB\u0000\u001f\u007f\u00e9\u4e2d'.split(''),
  '\ud83d\ude00'
);
const cell = fc.oneof(
  fc.string({ unit: cellChar, maxLength: 40 }),
  fc.string({ unit: cellChar, minLength: 120, maxLength: 140 }),
  fc
    .tuple(
      fc.integer({ min: 1, max: 9999 }),
      fc.integer({ min: 0, max: 13 }),
      fc.integer({ min: 0, max: 32 }),
      fc.integer({ min: 0, max: 25 }),
      fc.integer({ min: 0, max: 61 }),
      fc.constantFrom('', 'Z', '+02:00', '-0530', '+24:00', '.123Z', ':07Z', ':60')
    )
    .map(
      ([y, m, d, h, mi, tail]) =>
        `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` +
        (h > 23 && tail === ''
          ? ''
          : `T${String(h).padStart(2, '0')}:${String(mi).padStart(2, '0')}${tail}`)
    ),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc.string({ unit: fc.constantFrom(...'0123456789.'.split('')), minLength: 28, maxLength: 40 }),
  fc.integer({ min: -1_000_000, max: 1_000_000 }).map((n) => (n / 100).toFixed(2))
);

describe('FAST_ACCEPT', () => {
  it('never accepts what its schema refuses, and gives the same value where it accepts', () => {
    let accepted = 0;
    for (const [schema, accept] of FAST_ACCEPT) {
      fc.assert(
        fc.property(cell, (s) => {
          const quick = accept(s);
          if (quick === undefined) return;
          accepted++;
          const r = schema.safeParse(s);
          expect(r.success).toBe(true);
          expect(r.data).toEqual(quick);
        }),
        { numRuns: 3000, seed: 16 }
      );
    }
    // The generator reaches the accepting branch of every acceptor, not only the refusals.
    expect(accepted).toBeGreaterThan(FAST_ACCEPT.size * 300);
  });

  it('accepts the common cells of an events file without the schema', () => {
    const values = [...FAST_ACCEPT.values()].map((f) =>
      ['C1001', '2024-03-01T10:00:00Z', '12.50', 'web', 'purchase'].map((s) => f(s))
    );
    // customer id, time, amount, label, event type: each takes its own kind of cell.
    expect(values.map((row, i) => row[i])).toEqual([
      'C1001',
      Date.UTC(2024, 2, 1, 10),
      12.5,
      'web',
      'purchase',
    ]);
  });
});
