import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { formatTable } from '../output.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

export function registerBudget(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('budget')
    .description(
      'privacy budget per purpose and across all purposes for the current period: cap, spent and remaining epsilon (read at the policy delta) and the same spend in zCDP rho'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print {at, budgets: [...]} as JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      const { loadPolicy } = await import('../../policy/index.ts');
      const { budgetReport } = await import('../../privacy/index.ts');
      const report = await withNode(o.dir, ({ db }) =>
        budgetReport(db, loadPolicy(o.dir), new Date())
      );
      const { budgets } = report;
      emit(ctx, o.json, report, () =>
        budgets.length === 0
          ? 'The policy defines no budget: nothing can be released.\n'
          : formatTable(
              [
                'purpose',
                'period',
                'current',
                'cap ε',
                'spent ε',
                'remaining ε',
                'spent ρ',
                'cap ρ',
              ],
              budgets.map((b) => [
                b.purpose === 'all' ? 'all purposes' : b.purpose,
                b.period,
                b.periodKey,
                b.capEpsilon,
                b.spentEpsilon,
                b.remainingEpsilon,
                Number(b.spentRho.toPrecision(6)),
                b.capRho,
              ])
            ) +
            `ε is read at δ = ${budgets[0]?.delta} (policy "delta"): Gaussian releases compose in ρ (zCDP), Laplace releases add up in ε; ρ counts a Laplace release of ε as ε²/2 (docs/privacy.md).\n`
      );
    });
  examples(cmd, 'fedmark node budget --dir ./node-a', 'fedmark node budget --dir ./node-a --json');
}
