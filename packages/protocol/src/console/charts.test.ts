import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BarChart, LineChart } from './charts.tsx';
import { formatTick, niceTicks } from './ticks.ts';

describe('niceTicks', () => {
  it('gives round steps that cover the range', () => {
    expect(niceTicks(0, 10)).toEqual([0, 2, 4, 6, 8, 10]);
    expect(niceTicks(0, 0.83)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(-3, 7)).toEqual([-4, -2, 0, 2, 4, 6, 8]);
    expect(niceTicks(5, 5)).toEqual([4.4, 4.6, 4.8, 5, 5.2, 5.4, 5.6]);
    expect(niceTicks(0, 0)).toEqual([-1, -0.5, 0, 0.5, 1]);
  });

  it('always covers [min, max] with evenly spaced ticks', () => {
    // Subnormal inputs (|x| < 1e-300) are out of scope: chart data are counts, money, epsilons.
    const value = (min: number) =>
      fc.double({ min, max: 1e9, noNaN: true }).map((x) => (Math.abs(x) < 1e-300 ? 0 : x));
    fc.assert(
      fc.property(value(-1e9), value(0), (a, w) => {
        const t = niceTicks(a, a + w);
        expect(t[0]).toBeLessThanOrEqual(a);
        expect(t.at(-1)).toBeGreaterThanOrEqual(a + w - Math.abs(a + w) * 1e-9);
        expect(t.length).toBeLessThanOrEqual(14);
      })
    );
  });

  it('labels ticks briefly', () => {
    expect([formatTick(12_500), formatTick(2_000_000), formatTick(0.125), formatTick(3)]).toEqual([
      '12.5k',
      '2M',
      '0.125',
      '3',
    ]);
  });
});

describe('charts', () => {
  it('draws one bar per value with error bars and escapes labels', () => {
    const svg = String(
      BarChart({
        title: 'Counts',
        testId: 'result-chart',
        bars: [
          { label: 'champions', value: 120, low: 110, high: 130 },
          { label: '<script>alert(1)</script>', value: 40, low: 35, high: 45 },
          { label: 'lost', value: 10 },
          { label: 'big', value: 12345.6, low: 9876.5, high: 14814.7 },
        ],
        reference: { value: 100, label: 'cap 100' },
      })
    );
    expect(svg.match(/<rect class="bar/g)).toHaveLength(4);
    expect(svg.match(/class="err-bar"/g)).toHaveLength(3);
    // Tooltips write numbers as the CLI tables do (results/number-format.ts).
    expect(svg).toContain('<title>champions: 120 (95% interval 110 to 130)</title>');
    expect(svg).toContain('<title>big: 12,346 (95% interval 9,877 to 14,815)</title>');
    expect(svg).toContain('<title>lost: 10</title>');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('&lt;script&gt;');
    expect(svg).toContain('data-testid="result-chart"');
    expect(svg).toContain('class="cap-line"');
    expect(svg).not.toContain('style=');
  });

  it('draws a polyline per series with a dot per point', () => {
    const svg = String(
      LineChart({
        title: 'AUC',
        yDomain: [0.5, 1],
        series: [
          { name: 'validation AUC', points: [1, 2, 3].map((x) => ({ x, y: 0.7 + x / 100 })) },
          { name: 'loss', points: [1, 2, 3].map((x) => ({ x, y: 0.6 - x / 100 })) },
        ],
      })
    );
    expect(svg.match(/<polyline/g)).toHaveLength(2);
    expect(svg.match(/<circle/g)).toHaveLength(6);
    expect(svg).toContain('validation AUC');
  });
});
