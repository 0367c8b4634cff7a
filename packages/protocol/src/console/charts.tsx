import type { Child } from 'hono/jsx';
import { formatNumber } from '../results/number-format.ts';
import { formatTick, niceTicks } from './ticks.ts';

export interface Bar {
  label: string;
  value: number;
  /** Lower and upper end of the error bar (e.g. a 95% interval); omitted: no error bar. */
  low?: number;
  high?: number;
  /** Drawn in the warning colour (e.g. a budget period over its cap). */
  highlight?: boolean;
}

export interface BarChartProps {
  title: string;
  bars: readonly Bar[];
  /** A horizontal reference line (e.g. the policy's epsilon cap), labelled. */
  reference?: { value: number; label: string };
  yLabel?: string;
  width?: number;
  height?: number;
  testId?: string;
}

const M = { top: 34, right: 16, bottom: 64, left: 56 };

/** The accessible SVG element every chart draws into: role img, its title as label and tooltip. */
function ChartFrame(p: {
  title: string;
  width: number;
  height: number;
  testId?: string | undefined;
  children?: Child;
}) {
  return (
    <svg
      class="chart"
      viewBox={`0 0 ${p.width} ${p.height}`}
      width={p.width}
      height={p.height}
      role="img"
      aria-label={p.title}
      data-testid={p.testId}
    >
      <title>{p.title}</title>
      <text class="chart-title" x={M.left} y={18}>
        {p.title}
      </text>
      {p.children}
    </svg>
  );
}

/** Horizontal grid lines and y tick labels shared by both chart kinds. */
function YAxis(p: {
  ticks: number[];
  y: (v: number) => number;
  x0: number;
  x1: number;
  label?: string | undefined;
}) {
  return (
    <g>
      {p.ticks.map((t) => (
        <g>
          <line class="grid" x1={p.x0} x2={p.x1} y1={p.y(t)} y2={p.y(t)} />
          <text x={p.x0 - 6} y={p.y(t) + 4} text-anchor="end">
            {formatTick(t)}
          </text>
        </g>
      ))}
      <line
        class="axis"
        x1={p.x0}
        x2={p.x0}
        y1={p.y(p.ticks[0] ?? 0)}
        y2={p.y(p.ticks.at(-1) ?? 0)}
      />
      {p.label ? (
        <text x={12} y={M.top - 12}>
          {p.label}
        </text>
      ) : null}
    </g>
  );
}

/**
 * A bar chart with optional error bars, as inline SVG (no script, styled by class). The y scale
 * always includes zero, so bars are honest; values and intervals are in <title> tooltips.
 */
export function BarChart(p: BarChartProps) {
  const width = p.width ?? 720;
  const height = p.height ?? 300;
  const values = p.bars.flatMap((b) => [b.value, b.low ?? b.value, b.high ?? b.value]);
  if (p.reference) values.push(p.reference.value);
  const ticks = niceTicks(Math.min(0, ...values), Math.max(0, ...values, 1e-9));
  const lo = ticks[0] ?? 0;
  const hi = ticks.at(-1) ?? 1;
  const plotH = height - M.top - M.bottom;
  const plotW = width - M.left - M.right;
  const y = (v: number) => M.top + plotH - ((v - lo) / (hi - lo)) * plotH;
  const slot = plotW / Math.max(1, p.bars.length);
  const barW = Math.max(2, Math.min(48, slot * 0.6));
  const rotate = p.bars.length > 8;
  return (
    <ChartFrame title={p.title} width={width} height={height} testId={p.testId}>
      <YAxis ticks={ticks} y={y} x0={M.left} x1={width - M.right} label={p.yLabel} />
      <line class="axis" x1={M.left} x2={width - M.right} y1={y(0)} y2={y(0)} />
      {p.bars.map((b, i) => {
        const cx = M.left + slot * i + slot / 2;
        const top = y(Math.max(0, b.value));
        const h = Math.abs(y(b.value) - y(0));
        // Tooltips write values as every table does (results/number-format.ts).
        const interval =
          b.low !== undefined && b.high !== undefined
            ? ` (95% interval ${formatNumber(b.low)} to ${formatNumber(b.high)})`
            : '';
        return (
          <g>
            <rect
              class={b.highlight ? 'bar over' : 'bar'}
              x={cx - barW / 2}
              y={top}
              width={barW}
              height={Math.max(h, 0.5)}
            >
              <title>{`${b.label}: ${formatNumber(b.value)}${interval}`}</title>
            </rect>
            {b.low !== undefined && b.high !== undefined ? (
              <g class="err-bar">
                <line class="err" x1={cx} x2={cx} y1={y(b.low)} y2={y(b.high)} />
                <line class="err" x1={cx - 5} x2={cx + 5} y1={y(b.low)} y2={y(b.low)} />
                <line class="err" x1={cx - 5} x2={cx + 5} y1={y(b.high)} y2={y(b.high)} />
              </g>
            ) : null}
            <text
              x={cx}
              y={height - M.bottom + 14}
              text-anchor={rotate ? 'end' : 'middle'}
              transform={rotate ? `rotate(-40 ${cx} ${height - M.bottom + 14})` : undefined}
            >
              {b.label.length > 18 ? `${b.label.slice(0, 17)}…` : b.label}
            </text>
          </g>
        );
      })}
      {p.reference ? (
        <g>
          <line
            class="cap-line"
            x1={M.left}
            x2={width - M.right}
            y1={y(p.reference.value)}
            y2={y(p.reference.value)}
          />
          <text x={width - M.right} y={y(p.reference.value) - 4} text-anchor="end">
            {p.reference.label}
          </text>
        </g>
      ) : null}
    </ChartFrame>
  );
}

export interface LineSeries {
  name: string;
  points: readonly { x: number; y: number }[];
}

export interface LineChartProps {
  title: string;
  series: readonly LineSeries[];
  xLabel?: string;
  yLabel?: string;
  /** Fix the y range (e.g. [0.5, 1] for AUC); default: the data's range with nice ticks. */
  yDomain?: readonly [number, number];
  width?: number;
  height?: number;
  testId?: string;
}

/** A line chart (up to four series, each with dots and a legend) as inline SVG. */
export function LineChart(p: LineChartProps) {
  const width = p.width ?? 720;
  const height = p.height ?? 280;
  const pts = p.series.flatMap((s) => s.points);
  const xs = pts.map((q) => q.x);
  const ysAll = pts.map((q) => q.y);
  const yTicks = p.yDomain
    ? niceTicks(p.yDomain[0], p.yDomain[1])
    : niceTicks(Math.min(...ysAll, 0), Math.max(...ysAll, 1e-9));
  const xTicks =
    xs.length > 0
      ? niceTicks(Math.min(...xs), Math.max(...xs), Math.min(8, Math.max(1, xs.length - 1)))
      : [0, 1];
  const [ylo, yhi] = [yTicks[0] ?? 0, yTicks.at(-1) ?? 1];
  const [xlo, xhi] = [xTicks[0] ?? 0, xTicks.at(-1) ?? 1];
  const plotH = height - M.top - M.bottom + 24;
  const plotW = width - M.left - M.right;
  const y = (v: number) => M.top + plotH - ((v - ylo) / (yhi - ylo)) * plotH;
  const x = (v: number) => M.left + ((v - xlo) / (xhi - xlo || 1)) * plotW;
  const base = M.top + plotH;
  return (
    <ChartFrame title={p.title} width={width} height={height} testId={p.testId}>
      <YAxis ticks={yTicks} y={y} x0={M.left} x1={width - M.right} label={p.yLabel} />
      <line class="axis" x1={M.left} x2={width - M.right} y1={base} y2={base} />
      {xTicks.map((t) => (
        <text x={x(t)} y={base + 14} text-anchor="middle">
          {formatTick(t)}
        </text>
      ))}
      {p.xLabel ? (
        <text x={M.left + plotW / 2} y={base + 30} text-anchor="middle">
          {p.xLabel}
        </text>
      ) : null}
      {p.series.slice(0, 4).map((s, i) => (
        <g>
          <polyline
            class={`series s${i}`}
            points={s.points.map((q) => `${x(q.x).toFixed(1)},${y(q.y).toFixed(1)}`).join(' ')}
          />
          {s.points.map((q) => (
            <circle class={`dot s${i}`} cx={x(q.x)} cy={y(q.y)} r={3}>
              <title>{`${s.name} at ${formatNumber(q.x)}: ${formatNumber(q.y)}`}</title>
            </circle>
          ))}
          <rect
            class={`s${i}`}
            x={width - M.right - 150}
            y={M.top + i * 16 - 8}
            width={10}
            height={10}
          />
          <text x={width - M.right - 134} y={M.top + i * 16 + 1}>
            {s.name}
          </text>
        </g>
      ))}
    </ChartFrame>
  );
}
