import type { AuditReport } from './verify-node.ts';

/** The human report of `fedmark audit verify`: verdict, first failure, every check, then compliance. */
export function formatAuditReport(r: AuditReport): string {
  const lines: string[] = [];
  lines.push(`Audit of node ${r.node}: ${r.ok ? 'PASSED' : 'FAILED'}`);
  lines.push(
    `Ledger: ${r.ledgerSize} entries, Merkle root ${r.merkleRoot}; ${r.storedCheckpoints} stored checkpoint(s); ${r.paddingEntries} of the entries are checkpoint padding (they record nothing)`
  );
  lines.push(
    `Read from: ${r.source.kind === 'api' ? 'node API' : 'node directory'} ${r.source.label}`
  );
  if (r.coordinator)
    lines.push(
      `Coordinator ${r.coordinator.url}: log of ${r.coordinator.logSize} checkpoint(s), ${r.coordinator.nodeCheckpoints} from this node`
    );
  if (r.firstFailure) {
    const f = r.firstFailure;
    const where = f.firstBadSeq === undefined ? 'the ledger' : `entry seq ${f.firstBadSeq}`;
    lines.push(`First failure: ${where}, caught by check "${f.check}": ${f.detail}`);
  }
  lines.push('', 'Checks:');
  for (const c of r.checks)
    lines.push(
      `  [${c.ok ? ' ok ' : 'FAIL'}] ${c.check}: ${c.detail}${c.firstBadSeq !== undefined && !c.ok ? ` (entry seq ${c.firstBadSeq})` : ''}`
    );
  const cr = r.compliance;
  lines.push('', `Compliance (as of ${cr.at}):`);
  for (const p of cr.purposes) {
    lines.push(
      `  ${p.purpose}: consents in force ${p.consentsInForce}, revoked ${p.consentsRevoked}`
    );
    for (const b of p.current)
      lines.push(
        `    budget now, ${b.period} ${b.periodKey}: spent ${b.spentEpsilon} of ${b.capEpsilon} epsilon (remaining ${b.remainingEpsilon})${b.spentRho !== undefined ? `, rho ${Number(b.spentRho.toPrecision(6))}, epsilon read at delta ${b.delta}` : ''}`
      );
    for (const x of p.periods) {
      const flag = x.overCap
        ? x.resetInPeriod
          ? ' OVER CAP (budget reset recorded)'
          : ' OVER CAP'
        : '';
      lines.push(
        `    ${x.period} ${x.periodKey}: ${x.releases} release(s), ${x.spentEpsilon} of ${x.capEpsilon} epsilon (rho ${Number(x.spentRho.toPrecision(6))})${flag}`
      );
    }
  }
  lines.push(`  Releases (${cr.releases.length}):`);
  for (const x of cr.releases)
    lines.push(
      `    #${x.seq} ${x.at} job ${x.jobId} round ${x.round} (${x.kind}, ${x.purpose}) epsilon ${x.epsilon}`
    );
  lines.push(`  Erasures (${cr.erasures.length}):`);
  for (const x of cr.erasures)
    lines.push(
      `    #${x.seq} ${x.at} pseudonym ${x.subject?.slice(0, 16) ?? '-'}… rows deleted ${x.rowsDeleted ?? '?'}`
    );
  lines.push(`  Refused jobs (${cr.refused.length}):`);
  for (const x of cr.refused)
    lines.push(
      `    #${x.seq} ${x.at} job ${x.jobId}${x.round === null ? '' : ` round ${x.round}`}: ${x.reason}`
    );
  if (r.notes.length > 0) lines.push('', 'Notes:', ...r.notes.map((n) => `  - ${n}`));
  return `${lines.join('\n')}\n`;
}
