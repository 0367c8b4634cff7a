import { CHART_CSS } from '@fedmark/protocol/console';
import type { ComplianceReport, PeriodSpend } from './compliance.ts';
import { SpendChart } from './spend-chart.tsx';
import type { AuditReport } from './verify-node.ts';

// `fedmark audit export`: one self-contained HTML file an auditor can file. No scripts, no
// external URL (styles and charts inline), and every string from the node, the ledger or the
// coordinator goes through esc(): a node name or a refusal reason is data, never markup.

/** HTML-escapes text for element content and double-quoted attributes. */
export function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ExportMeta {
  generatedAt: Date;
  toolVersion: string;
}

const CSS = `${CHART_CSS}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1b1f24;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.6rem;margin:0 0 .3rem}h2{font-size:1.2rem;margin:2rem 0 .5rem;border-bottom:1px solid #d0d7de;padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .4rem}
.verdict{display:inline-block;padding:.3rem .8rem;border-radius:4px;font-weight:700;color:#fff}
.pass{background:#1a7f37}.fail{background:#cf222e}
.first{border-left:4px solid #cf222e;background:#fff1f0;padding:.6rem .8rem;margin:.8rem 0}
table{border-collapse:collapse;width:100%;margin:.4rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;word-break:break-all}
.ok{color:#1a7f37;font-weight:700}.bad{color:#cf222e;font-weight:700}.muted{color:#57606a}
@media print{body{margin:0}.verdict{border:1px solid #000;color:#000}}
`;

function table(headers: readonly string[], rows: readonly string[][], empty: string): string {
  if (rows.length === 0) return `<p class="muted">${esc(empty)}</p>`;
  const head = `<tr>${headers.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>`;
  return `<table><thead>${head}</thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
}
const td = (v: unknown): string => `<td>${esc(v)}</td>`;
const num = (v: unknown): string => `<td class="num">${esc(v)}</td>`;
const mono = (v: unknown): string => `<td><code>${esc(v)}</code></td>`;

/** The spend-vs-cap chart of one budget rule as SVG markup (SpendChart; its styles are inlined). */
export function spendChartSvg(title: string, periods: readonly PeriodSpend[]): string {
  return String(SpendChart({ title, periods, capEpsilon: periods[0]?.capEpsilon ?? 0 }));
}

function complianceSection(c: ComplianceReport): string {
  const parts: string[] = [
    `<h2>Budgets and consents per purpose</h2><p class="muted">As of ${esc(c.at)}. Epsilon spent is recomputed from the ledger's release entries.</p>`,
  ];
  for (const p of c.purposes) {
    parts.push(
      `<h3>${esc(p.purpose)}</h3><p>Consents in force: <b>${esc(p.consentsInForce)}</b>; revoked: <b>${esc(p.consentsRevoked)}</b></p>`
    );
    parts.push(
      table(
        ['budget period (now)', 'cap ε', 'spent ε', 'remaining ε'],
        p.current.map((b) => [
          td(`${b.period} ${b.periodKey}`),
          num(b.capEpsilon),
          num(b.spentEpsilon),
          num(b.remainingEpsilon),
        ]),
        'no budget rule for this purpose'
      )
    );
    const byRule = new Map<string, PeriodSpend[]>();
    for (const x of p.periods) byRule.set(x.period, [...(byRule.get(x.period) ?? []), x]);
    for (const [period, list] of byRule) {
      parts.push(spendChartSvg(`${p.purpose}: epsilon spent per ${period} vs cap`, list));
      parts.push(
        table(
          ['period', 'releases', 'spent ε', 'cap ε', 'status'],
          list.map((x) => [
            td(x.periodKey),
            num(x.releases),
            num(x.spentEpsilon),
            num(x.capEpsilon),
            x.overCap
              ? `<td class="bad">${esc(x.resetInPeriod ? 'over cap (budget reset recorded)' : `over cap from entry ${x.firstOverCapSeq ?? '?'}`)}</td>`
              : '<td class="ok">within cap</td>',
          ]),
          'no releases'
        )
      );
    }
  }
  parts.push(
    `<h2>Releases (${c.releases.length})</h2>`,
    table(
      ['seq', 'at', 'job', 'round', 'kind', 'purpose', 'ε'],
      c.releases.map((r) => [
        num(r.seq),
        td(r.at),
        td(r.jobId),
        num(r.round),
        td(r.kind),
        td(r.purpose),
        num(r.epsilon),
      ]),
      'no releases'
    ),
    `<h2>Erasures (${c.erasures.length})</h2>`,
    table(
      ['seq', 'at', 'pseudonym', 'rows deleted'],
      c.erasures.map((e) => [
        num(e.seq),
        td(e.at),
        mono(e.subject ?? '-'),
        num(e.rowsDeleted ?? '?'),
      ]),
      'no erasures'
    ),
    `<h2>Refused jobs (${c.refused.length})</h2>`,
    table(
      ['seq', 'at', 'job', 'round', 'reason'],
      c.refused.map((r) => [num(r.seq), td(r.at), td(r.jobId), num(r.round ?? '-'), td(r.reason)]),
      'no refusals'
    )
  );
  return parts.join('\n');
}

/** The whole report as one HTML document (UTF-8, no scripts, no external resources). */
export function renderAuditHtml(r: AuditReport, meta: ExportMeta): string {
  const verdict = r.ok
    ? '<span class="verdict pass">PASSED</span>'
    : '<span class="verdict fail">FAILED</span>';
  const f = r.firstFailure;
  const first = f
    ? `<div class="first"><b>First failure</b>: ${esc(f.firstBadSeq === undefined ? 'the ledger' : `entry seq ${f.firstBadSeq}`)}, caught by check <code>${esc(f.check)}</code>: ${esc(f.detail)}</div>`
    : '<p class="ok">Every check passed.</p>';
  const checks = table(
    ['check', 'result', 'detail', 'first affected entry'],
    r.checks.map((c) => [
      mono(c.check),
      c.ok ? '<td class="ok">ok</td>' : '<td class="bad">FAIL</td>',
      td(c.detail),
      num(c.ok || c.firstBadSeq === undefined ? '' : c.firstBadSeq),
    ]),
    'no checks ran'
  );
  const coordinator = r.coordinator
    ? `<p>Coordinator <code>${esc(r.coordinator.url)}</code>: transparency log of ${esc(r.coordinator.logSize)} checkpoint(s), ${esc(r.coordinator.nodeCheckpoints)} from this node.</p>`
    : '<p class="muted">Not checked against a coordinator\'s transparency log.</p>';
  const checkpoints = table(
    [
      'entries',
      'root',
      'signed at',
      'signature',
      'receipt: log index',
      'received at',
      'receipt signature',
    ],
    r.checkpoints.map(({ checkpoint: c, receipt: x }) => [
      num(c.treeSize),
      mono(c.rootHash),
      td(c.timestamp),
      mono(`${c.signature.slice(0, 32)}…`),
      num(x?.logIndex ?? '-'),
      td(x?.receivedAt ?? 'no receipt'),
      x ? mono(`${x.signature.slice(0, 32)}…`) : td('-'),
    ]),
    'the node has stored no checkpoint'
  );
  const notes =
    r.notes.length > 0
      ? `<h2>Notes</h2><ul>${r.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`
      : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(`Audit report: node ${r.node} (${r.ok ? 'passed' : 'FAILED'})`)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>Audit report: node ${esc(r.node)}</h1>
<p>${verdict} <span class="muted">Generated ${esc(meta.generatedAt.toISOString())} by fedmark ${esc(meta.toolVersion)}</span></p>
${first}
</header>
<h2>Ledger head</h2>
<table><tbody>
<tr><th>read from</th><td>${esc(r.source.kind === 'api' ? 'node API' : 'node directory')} <code>${esc(r.source.label)}</code></td></tr>
<tr><th>entries</th><td class="num">${esc(r.ledgerSize)}</td></tr>
<tr><th>of which checkpoint padding (records nothing)</th><td class="num">${esc(r.paddingEntries)}</td></tr>
<tr><th>RFC 6962 root (recomputed from the rows)</th><td><code>${esc(r.merkleRoot)}</code></td></tr>
<tr><th>stored checkpoints</th><td class="num">${esc(r.storedCheckpoints)}</td></tr>
</tbody></table>
${coordinator}
<h2>Checks</h2>
${checks}
<h2>Checkpoints and receipts</h2>
${checkpoints}
${complianceSection(r.compliance)}
${notes}
<footer><p class="muted">fedmark ${esc(meta.toolVersion)}, ${esc(meta.generatedAt.toISOString())}. How each check works: docs/audit.md.</p></footer>
</body>
</html>
`;
}
