import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { readJsonFile } from './_query-file.ts';
import { examples } from './_help.ts';

interface AudienceOpts {
  dir: string;
  rule: string;
  out: string;
  asOf?: string;
  json?: boolean;
}

/** `fedmark node audience`: a local activation list, recorded in the ledger; nothing leaves the node. */
export function registerAudience(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('audience')
    .description(
      "build an audience of this node's customers (segment rule and/or score threshold, marketing consent in force) into a local CSV, recorded in the ledger with its count and commitment"
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--rule <file>', 'audience rule JSON (docs/decide.md "Audiences")')
    .requiredOption('--out <csv>', 'the audience to write: customer_id per line')
    .option('--as-of <date>', 'derived fields as of this date YYYY-MM-DD (default today, UTC)')
    .option('--json', 'print {name, count, unitsRoot, ruleHash, out, seq} as JSON')
    .action(async (o: AudienceOpts) => {
      if (!o.out.toLowerCase().endsWith('.csv'))
        throw new CliError(EXIT.USAGE, '--out: expected a .csv file');
      const { buildAudience, parseAudienceRule } = await import('../../audience/index.ts');
      const rule = parseAudienceRule(readJsonFile(o.rule), o.rule);
      const asOf = o.asOf ?? new Date().toISOString().slice(0, 10);
      const r = await withNode(o.dir, ({ db, identity }) =>
        buildAudience({ db, identity, rule, ruleFile: o.rule, out: o.out, asOf })
      );
      emit(
        ctx,
        o.json,
        {
          name: r.name,
          count: r.count,
          unitsRoot: r.unitsRoot,
          ruleHash: r.ruleHash,
          out: r.out,
          seq: r.entry.seq,
        },
        () =>
          `audience "${r.name}": ${r.count} customers with marketing consent into ${r.out}\nledger entry ${r.entry.seq} (audience): units root ${r.unitsRoot}, rule ${r.ruleHash}\n`
      );
    });
  examples(
    cmd,
    `echo '{"version":1,"kind":"audience","name":"lapsed high value","where":[{"field":"lifecycle_stage","in":["decline"]},{"field":"monetary","min":500}]}' > lapsed.json`,
    'fedmark node audience --dir ./node-a --rule lapsed.json --out lapsed.csv',
    'fedmark node audience --dir ./node-a --rule churn-risk.json --as-of 2026-01-01 --out churn-risk.csv --json'
  );
}
