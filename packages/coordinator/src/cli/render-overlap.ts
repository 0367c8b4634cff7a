import { formatNumber, type OverlapResult } from '@fedmark/protocol';

/**
 * The overlap figures of `fedmark job result` (docs/overlap.md "Reading the result"): one line a
 * pair with the estimate, its 95% interval and noise, or why the pair failed.
 */
export function overlapLines(o: OverlapResult): string[] {
  const lines = [`shared customers by ${o.matchingKey} (consent for ${o.purpose} at both nodes):`];
  for (const p of o.pairs) {
    const who = `  ${p.nodes[0]} & ${p.nodes[1]}`;
    if (p.status === 'published' && p.estimate !== null && p.ci95) {
      const noise =
        p.noiseStd === 0
          ? ' (NO NOISE: test only)'
          : `, noise std ${formatNumber(p.noiseStd ?? 0)}`;
      lines.push(
        `${who}: ${formatNumber(p.estimate)} [${formatNumber(p.ci95[0])}, ${formatNumber(p.ci95[1])}] at epsilon ${formatNumber(p.epsilon)}${noise}`
      );
    } else lines.push(`${who}: ${p.status}${p.reason ? `: ${p.reason}` : ''}`);
  }
  return lines;
}
