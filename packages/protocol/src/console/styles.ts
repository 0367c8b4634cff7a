/**
 * The charts' rules (BarChart, LineChart), with literal colours so they also work on their own:
 * the exported audit report inlines them beside its own styles.
 */
export const CHART_CSS = `
svg.chart { background: #fff; border: 1px solid #d5dbe3; border-radius: 6px; max-width: 100%; height: auto; }
svg.chart text { font-size: 11px; fill: #5b6776; } svg.chart .chart-title { font-size: 13px; fill: #1d2733; font-weight: 600; }
svg.chart .axis { stroke: #9aa5b1; stroke-width: 1; } svg.chart .grid { stroke: #edf0f3; stroke-width: 1; }
svg.chart .bar { fill: #6f93cf; } svg.chart .bar.over { fill: #e07a6f; } svg.chart .cap-line { stroke: #b42318; stroke-width: 1.5; stroke-dasharray: 5 3; }
svg.chart .err { stroke: #1d2733; stroke-width: 1.25; }
svg.chart circle.venn { fill-opacity: .14; stroke-width: 1.5; } svg.chart .venn-name { font-size: 13px; fill: #1d2733; font-weight: 600; }
svg.chart .venn-figure { font-size: 12px; fill: #1d2733; } svg.chart .venn-note { font-size: 10px; fill: #5b6776; }
svg.chart .series { fill: none; stroke-width: 2; } svg.chart .dot { stroke: #fff; stroke-width: 1; }
svg.chart .s0 { stroke: #2457a6; fill: #2457a6; } svg.chart .s1 { stroke: #c2410c; fill: #c2410c; } svg.chart .s2 { stroke: #15803d; fill: #15803d; } svg.chart .s3 { stroke: #7e22ce; fill: #7e22ce; }
svg.chart .series.s0, svg.chart .series.s1, svg.chart .series.s2, svg.chart .series.s3 { fill: none; }
`;

/**
 * The console's one stylesheet, served as a file: the Content-Security-Policy allows styles from
 * 'self' only (no inline style attributes), so pages and charts style themselves by class.
 */
export const CONSOLE_CSS = `
:root { --fg: #1d2733; --muted: #5b6776; --line: #d5dbe3; --bg: #f6f8fa; --accent: #2457a6; --bad: #b42318; --good: #1f7a3a; --warn: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header.top .brand { font-weight: 700; color: var(--accent); text-decoration: none; }
header.top nav { display: flex; gap: 1rem; flex-wrap: wrap; }
header.top nav a { color: var(--fg); text-decoration: none; padding: .2rem .1rem; border-bottom: 2px solid transparent; }
header.top nav a[aria-current="page"] { border-bottom-color: var(--accent); font-weight: 600; }
header.top .who { margin-left: auto; display: flex; gap: .75rem; align-items: center; color: var(--muted); }
main { max-width: 1200px; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; } h2 { font-size: 1.15rem; margin: 1.75rem 0 .75rem; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 1rem 1.25rem; margin-bottom: 1rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85rem; text-transform: uppercase; letter-spacing: .02em; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
pre { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: .75rem; overflow-x: auto; font-size: .85rem; max-height: 32rem; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .85em; word-break: break-all; }
.muted { color: var(--muted); } .empty { color: var(--muted); font-style: italic; padding: .75rem 0; }
.badge { display: inline-block; padding: .05rem .5rem; border-radius: 999px; font-size: .8rem; font-weight: 600; background: #e8edf3; }
.badge.good { background: #dcf2e3; color: var(--good); } .badge.bad { background: #fde4e1; color: var(--bad); } .badge.warn { background: #fff3cd; color: var(--warn); }
.alert { padding: .75rem 1rem; border-radius: 6px; margin-bottom: 1rem; border: 1px solid; }
.alert.error { background: #fde4e1; border-color: #f3b8b1; color: var(--bad); } .alert.info { background: #e6eefa; border-color: #b9cdef; }
form.stack { display: grid; gap: .75rem; max-width: 640px; }
form.inline { display: inline; }
label { display: grid; gap: .25rem; font-weight: 600; } label .hint { font-weight: 400; color: var(--muted); font-size: .85rem; }
input, select, textarea { font: inherit; font-weight: 400; padding: .4rem .5rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; }
textarea { font-weight: 400; font-family: ui-monospace, Menlo, monospace; font-size: .85rem; min-height: 12rem; }
button { font: inherit; padding: .45rem 1rem; border-radius: 4px; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.link { background: none; border: none; color: var(--accent); padding: 0; }
.field-error { color: var(--bad); font-weight: 400; font-size: .85rem; }
.filters { display: flex; gap: .75rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
${CHART_CSS}
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; } dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
`;

/** The console's icon (served as a file, so browsers do not ask for a missing /favicon.ico). */
export const FAVICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#2457a6"/><path d="M4 12V4h7v2H6.5v1.5H10v2H6.5V12z" fill="#fff"/></svg>`;
