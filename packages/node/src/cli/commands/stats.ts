import type { Command } from 'commander';
import { formatEstimate, formatNumber, segmentTable } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { epsilonOption } from '../options.ts';
import { withNode } from '../node-context.ts';
import type { LocalStatsResult } from '../../api/local-stats.ts';
import { readQueryFile } from './_query-file.ts';
import { examples } from './_help.ts';

export interface StatsOpts {
  dir: string;
  query: string;
  epsilon?: number;
  noiseTestOnly: boolean;
  json?: boolean;
}

/** The local result: what was charged, then the table every CLI prints (protocol segmentTable) with its footnotes. */
export function statsText(r: LocalStatsResult): string {
  // Suppressed cells are released as exact zeros (variance 0) while every other slot is noisy.
  const t = segmentTable(r.result, {
    sums: true,
    suppressed: (c) => r.noise === 'on' && c.count.sd === 0,
  });
  const lines = [
    `${r.name}: purpose ${r.purpose}, as of ${r.asOf}, unit ${r.unit}`,
    `epsilon ${formatNumber(r.epsilon)} charged (job ${r.jobId}); noise ${r.noise === 'on' ? 'on (discrete Laplace)' : 'OFF (test only: exact values)'}`,
    `rows counted (total): ${formatEstimate(r.result.total, 'count')}   (estimate ± 95% interval half-width)`,
    '',
    t.table,
    '',
    ...t.notes,
    r.suppressedCells > 0
      ? `${r.suppressedCells} cell(s) had a noisy count under ${r.minCohort} (policy minimum cohort) and were suppressed: released as 0, shown as suppressed.`
      : `No cell was below the minimum cohort of ${r.minCohort}.`,
    `layout ${r.layoutHash}`,
    '',
  ];
  return lines.join('\n');
}

export function registerStats(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('stats')
    .description(
      'run a segment-statistics query locally: noisy per-cell counts and sums with 95% intervals; charges the budget'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--query <file>', 'SegmentQuery JSON (docs/node-cli.md has examples)')
    .option('--epsilon <e>', "override the query's epsilon", epsilonOption)
    .option(
      '--no-noise-test-only',
      'TEST ONLY: release exact values; refused unless the policy sets testOnlyAllowNoiseOff'
    )
    .option('--json', 'print the result as JSON (bigints as decimal strings)')
    .action(async (o: StatsOpts) => {
      const query = readQueryFile(o.query, o.epsilon);
      const { runLocalStats } = await import('../../api/local-stats.ts');
      const result = await withNode(o.dir, (n) =>
        runLocalStats(n, query, { noise: o.noiseTestOnly === false ? 'off-test-only' : 'on' })
      );
      emit(ctx, o.json, result, () => statsText(result));
    });
  examples(
    cmd,
    `echo '{"version":1,"kind":"segment_stats","purpose":"analytics","asOf":"2025-12-31","epsilon":0.5,"dimensions":[{"field":"lifecycle_stage","categories":["intro","growth","mature","decline"]}]}' > lifecycle.json`,
    'fedmark node stats --dir ./node-a --query lifecycle.json',
    'fedmark node stats --dir ./node-a --query lifecycle.json --epsilon 0.25 --json'
  );
}
