import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatCount, formatFigure, formatNumber } from './number-format.ts';

describe('number format', () => {
  it('writes counts as whole numbers with thousands separators', () => {
    expect([12345.4, 1234567, -205, 0.5, -0.4, -0, 7].map(formatCount)).toEqual([
      '12,345',
      '1,234,567',
      '-205',
      '1',
      '0',
      '0',
      '7',
    ]);
  });

  it('writes other figures with 3 significant digits, whole from 100 up', () => {
    expect(
      [2.9554, 0.012345, 106.0804, 368.2216, 5762.4, 1234567.89, -2594.2, 99.96, 0.5, 0].map(
        formatNumber
      )
    ).toEqual(['2.96', '0.0123', '106', '368', '5,762', '1,234,568', '-2,594', '100', '0.5', '0']);
    expect([0.0000123, -0.00001, Number.NaN, Number.POSITIVE_INFINITY].map(formatNumber)).toEqual([
      '1.23E-5',
      '-1E-5',
      'NaN',
      'Infinity',
    ]);
    expect([formatFigure(2.5, 'count'), formatFigure(2.5, 'value')]).toEqual(['3', '2.5']);
  });

  it('never prints more than 3 significant digits below 100 and never drops integer digits', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e12, max: 1e12, noNaN: true }), (x) => {
        const digits = formatNumber(x).replace(/[-,.]/g, '').replace(/^0+/, '');
        if (Math.abs(x) >= 100)
          expect(formatNumber(x).replace(/[-,]/g, '')).toBe(String(Math.round(Math.abs(x))));
        else if (Math.abs(x) >= 1e-4) expect(digits.length).toBeLessThanOrEqual(3);
      })
    );
  });
});
