/**
 * The chart of `pnpm bench model-datasets` (bench/results/model-datasets.svg): per data set, the
 * median test AUC's distance below the pooled logistic regression against epsilon (log scale),
 * solid for distributed Gaussian shares, dashed for local Laplace, with the issue's targets
 * (pooled - 0.04 at 0.5, - 0.02 at 1) as marks. Plain SVG, no dependency.
 */

export interface ChartResult {
  pooledTestAuc: number;
  dp: Record<string, Record<string, { median: number }>>;
}

const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];
const W = 720;
const H = 420;
const L = 60;
const R = 210;
const T = 34;
const B = 50;
const GAP_MAX = 0.25;

export function datasetsChartSvg(results: Record<string, ChartResult>, epsilons: number[]): string {
  const lo = Math.log2(Math.min(...epsilons));
  const hi = Math.log2(Math.max(...epsilons));
  const x = (e: number) => L + ((Math.log2(e) - lo) / Math.max(1e-9, hi - lo)) * (W - L - R);
  const y = (gap: number) => T + (Math.min(GAP_MAX, Math.max(0, gap)) / GAP_MAX) * (H - T - B);
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${L}" y="20" font-size="14">Median test AUC below pooled LR (20 runs): solid distributed Gaussian, dashed local Laplace</text>`,
  ];
  for (let g = 0; g <= GAP_MAX + 1e-9; g += 0.05)
    out.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(g)}" y2="${y(g)}" stroke="#eee"/><text x="${L - 8}" y="${y(g) + 4}" text-anchor="end">-${g.toFixed(2)}</text>`
    );
  for (const e of epsilons)
    out.push(`<text x="${x(e)}" y="${H - B + 18}" text-anchor="middle">${e}</text>`);
  out.push(
    `<text x="${(L + W - R) / 2}" y="${H - 14}" text-anchor="middle">epsilon per node (log scale)</text>`
  );
  for (const [e, gap] of [
    [0.5, 0.04],
    [1, 0.02],
  ] as const)
    if (epsilons.includes(e))
      out.push(
        `<line x1="${x(e) - 10}" x2="${x(e) + 10}" y1="${y(gap)}" y2="${y(gap)}" stroke="#000" stroke-width="2"/>`
      );
  Object.entries(results).forEach(([name, r], i) => {
    const colour = COLOURS[i % COLOURS.length] as string;
    for (const [mechanism, dash] of [
      ['distributed-gaussian', ''],
      ['local-laplace', ' stroke-dasharray="5 4"'],
    ] as const) {
      const curve = r.dp[mechanism];
      if (!curve) continue;
      const pts = epsilons.map((e) => [x(e), y(r.pooledTestAuc - (curve[`eps${e}`]?.median ?? 0))]);
      out.push(
        `<polyline fill="none" stroke="${colour}" stroke-width="2"${dash} points="${pts.map(([a, b]) => `${a},${b}`).join(' ')}"/>`
      );
    }
    out.push(`<text x="${W - R + 8}" y="${T + 14 + 16 * i}" fill="${colour}">${name}</text>`);
  });
  out.push(
    `<text x="${W - R + 8}" y="${T + 14 + 16 * (Object.keys(results).length + 1)}">black marks: targets</text>`,
    '</svg>'
  );
  return `${out.join('\n')}\n`;
}
