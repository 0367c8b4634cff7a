import { BarChart, Empty, type Bar } from '@fedmark/protocol/console';
import type { OverlapFigure, OverlapResult } from '@fedmark/protocol';
import { fmtInterval, fmtNumber } from './format.ts';

/**
 * An overlap job's figures on the result page (docs/overlap.md "Reading the result"): a Venn-like
 * diagram for two or three nodes, a bar chart with the 95% intervals for any number, and a table
 * a pair a row. Only pairwise figures are released, so the diagram labels each pair's lens and
 * says the all-of-three region is not released; the circles are not drawn to scale because no
 * node's customer count is released either.
 */

const interval = (f: OverlapFigure) => (f.ci95 ? fmtInterval(f.ci95, 'count') : '');

function figureText(f: OverlapFigure): string {
  if (f.status !== 'published' || f.estimate === null) return f.status;
  return `${fmtNumber(f.estimate)} ${interval(f)}`;
}

const W = 520;
const H = 400;
const R = 105;

/** Circle centres for 2 or 3 nodes: side by side, or a triangle. */
function centres(n: number): Array<[number, number]> {
  if (n === 2)
    return [
      [W / 2 - 70, H / 2 + 10],
      [W / 2 + 70, H / 2 + 10],
    ];
  return [
    [W / 2 - 70, H / 2 - 60],
    [W / 2 + 70, H / 2 - 60],
    [W / 2, H / 2 + 61],
  ];
}

export function OverlapVenn(p: { nodes: string[]; pairs: OverlapFigure[]; title: string }) {
  const c = centres(p.nodes.length);
  const mid: [number, number] = [
    c.reduce((s, v) => s + v[0], 0) / c.length,
    c.reduce((s, v) => s + v[1], 0) / c.length,
  ];
  const at = (name: string) => c[p.nodes.indexOf(name)] as [number, number];
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      aria-label={p.title}
      data-testid="overlap-venn"
    >
      <title>{p.title}</title>
      <text class="chart-title" x={16} y={20}>
        {p.title}
      </text>
      {p.nodes.map((name, i) => {
        const [x, y] = c[i] as [number, number];
        // Each name sits outside its circle, away from the diagram's centre.
        const dx = x - mid[0];
        const dy = y - mid[1];
        const len = Math.hypot(dx, dy) || 1;
        return (
          <g>
            <circle class={`venn s${i}`} cx={x} cy={y} r={R} />
            <text
              class="venn-name"
              x={x + (dx / len) * (R + 14)}
              y={y + (dy / len) * (R + 14) + (p.nodes.length === 2 ? -R : 4)}
              text-anchor="middle"
            >
              {name}
            </text>
          </g>
        );
      })}
      {p.pairs.map((f) => {
        const [a, b] = [at(f.nodes[0]), at(f.nodes[1])];
        // The lens label: between the two centres, pushed away from the third circle.
        let x = (a[0] + b[0]) / 2;
        let y = (a[1] + b[1]) / 2;
        if (p.nodes.length === 3) {
          const dx = x - mid[0];
          const dy = y - mid[1];
          const len = Math.hypot(dx, dy) || 1;
          x += (dx / len) * 28;
          y += (dy / len) * 28;
        }
        return (
          <text class="venn-figure" x={x} y={y} text-anchor="middle">
            <title>{`${f.nodes[0]} & ${f.nodes[1]}: ${figureText(f)}`}</title>
            <tspan x={x} dy="0">
              {f.status === 'published' && f.estimate !== null ? fmtNumber(f.estimate) : f.status}
            </tspan>
            <tspan x={x} dy="14">
              {interval(f)}
            </tspan>
          </text>
        );
      })}
      {p.nodes.length === 3 ? (
        <text class="venn-note" x={mid[0]} y={mid[1] + 4} text-anchor="middle">
          all three: not released
        </text>
      ) : null}
    </svg>
  );
}

export function OverlapSection(p: { overlap: OverlapResult }) {
  const { overlap } = p;
  const nodes = [...new Set(overlap.pairs.flatMap((f) => f.nodes))].sort();
  const published = overlap.pairs.filter((f) => f.status === 'published' && f.estimate !== null);
  const title = `Shared customers by ${overlap.matchingKey} (consent for ${overlap.purpose} at both nodes)`;
  const bars: Bar[] = published.map((f) => ({
    label: `${f.nodes[0]} & ${f.nodes[1]}`,
    value: f.estimate as number,
    ...(f.ci95 ? { low: f.ci95[0], high: f.ci95[1] } : {}),
  }));
  return (
    <section class="card" data-testid="overlap-result">
      <h2>{title}</h2>
      <p class="muted">
        Each figure is one pair's intersection size with differential-privacy noise (nobody learns
        the exact size; docs/overlap.md "Who learns what"), with its 95% interval. Circles are not
        to scale: no node's customer count is released.
      </p>
      {nodes.length === 2 || nodes.length === 3 ? (
        <OverlapVenn nodes={nodes} pairs={overlap.pairs} title={title} />
      ) : null}
      {bars.length > 0 ? (
        <BarChart
          title="Shared customers per pair, with 95% intervals"
          bars={bars}
          yLabel="customers"
          testId="overlap-bars"
        />
      ) : (
        <Empty>No pair has published a figure yet.</Empty>
      )}
      <table data-testid="overlap-table">
        <thead>
          <tr>
            <th scope="col">Pair</th>
            <th scope="col">Status</th>
            <th class="num" scope="col">
              Shared customers
            </th>
            <th class="num" scope="col">
              95% interval
            </th>
            <th class="num" scope="col">
              Noise std
            </th>
            <th class="num" scope="col">
              Epsilon
            </th>
            <th scope="col">Reason</th>
          </tr>
        </thead>
        <tbody>
          {overlap.pairs.map((f) => (
            <tr>
              <td>{`${f.nodes[0]} & ${f.nodes[1]}`}</td>
              <td>{f.status}</td>
              <td class="num">{f.estimate === null ? '' : fmtNumber(f.estimate)}</td>
              <td class="num">{interval(f)}</td>
              <td class="num">{f.noiseStd === null ? '' : fmtNumber(f.noiseStd)}</td>
              <td class="num">{fmtNumber(f.epsilon)}</td>
              <td>{f.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
