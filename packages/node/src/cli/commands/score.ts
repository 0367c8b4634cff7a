import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { modelFromJson, type Purpose } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

/** `fedmark node score`: scores the node's own customers with a model file; nothing leaves the node. */
export function registerScore(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('score')
    .description(
      'score this node\'s customers locally with a model file (from "fedmark model export")'
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--model <file>', 'model file')
    .requiredOption('--out <csv>', 'scores to write: customer_id,score')
    .option(
      '--table <name>',
      'feature table to score (default: the only one with every model column)'
    )
    .option(
      '--purpose <purpose>',
      'consent purpose the scored customers must have in force',
      'marketing'
    )
    .option('--json', 'print {table, rows, out} as JSON')
    .action(
      async (o: {
        dir: string;
        model: string;
        out: string;
        table?: string;
        purpose: string;
        json?: boolean;
      }) => {
        let text: string;
        try {
          text = readFileSync(o.model, 'utf8');
        } catch (err) {
          throw new CliError(
            EXIT.FAILURE,
            `${o.model}: cannot read (${(err as NodeJS.ErrnoException).code ?? String(err)})`
          );
        }
        const model = modelFromJson(text, o.model);
        const { scoreNodeCustomers } = await import('../../training/index.ts');
        const scores = await withNode(o.dir, ({ db }) =>
          scoreNodeCustomers(db, model, {
            purpose: o.purpose as Purpose,
            ...(o.table !== undefined ? { table: o.table } : {}),
          })
        );
        writeFileSync(o.out, scores.csv);
        emit(
          ctx,
          o.json,
          { table: scores.table, rows: scores.rows, out: o.out },
          () => `scored ${scores.rows} customers of table ${scores.table} into ${o.out}\n`
        );
      }
    );
  examples(
    cmd,
    'fedmark node score --dir ./node-a --model model.json --out scores.csv',
    'fedmark node score --dir ./node-a --model model.json --purpose model_training --out scores.csv --json'
  );
}
