import type { Command } from 'commander';
import { formatCount, type Purpose } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { purposeOption } from '../options.ts';
import { withNode } from '../node-context.ts';
import { formatTable } from '../output.ts';
import { examples } from './_help.ts';

interface ConsentOpts {
  dir: string;
  customer: string;
  purpose: Purpose;
  source: string;
  json?: boolean;
}

export function registerConsent(node: Command, ctx: CliContext): void {
  const consent = node
    .command('consent')
    .description("grant or revoke one customer's consent for a purpose (recorded in the ledger)");
  for (const action of ['grant', 'revoke'] as const) {
    const cmd = consent
      .command(action)
      .description(
        `${action} consent for one purpose, effective now; the ledger records the customer's pseudonym, never the id`
      )
      .requiredOption('--dir <path>', 'node directory')
      .requiredOption('--customer <id>', 'customer id as imported')
      .requiredOption(
        '--purpose <purpose>',
        'analytics | model_training | marketing',
        purposeOption
      )
      .option(
        '--source <source>',
        'where the decision came from (e.g. preference_center, call_centre)',
        'cli'
      )
      .option('--json', 'print {recorded, pseudonym, entry} as JSON')
      .action(async (o: ConsentOpts) => {
        const { grantConsent, revokeConsent } = await import('../../consent/index.ts');
        const input = { customerId: o.customer, purpose: o.purpose, source: o.source };
        const r = await withNode(o.dir, ({ db, identity }) =>
          (action === 'grant' ? grantConsent : revokeConsent)(db, identity, input)
        );
        emit(ctx, o.json, r, () =>
          r.recorded
            ? `Consent ${action === 'grant' ? 'granted' : 'revoked'} for ${o.purpose} (customer pseudonym ${r.pseudonym.slice(0, 16)}…), ledger entry seq ${r.entry?.seq ?? '-'}\n`
            : 'Nothing recorded: this exact consent record already exists.\n'
        );
      });
    examples(
      cmd,
      `fedmark node consent ${action} --dir ./node-a --customer C-1001 --purpose marketing --source preference_center`
    );
  }
  const summary = consent
    .command('summary')
    .description(
      'per purpose: customers covered now (consent or lawful basis) and customers whose latest record is a revocation'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print [{purpose, inForce, revoked}] as JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      const { consentSummary } = await import('../../consent/index.ts');
      const rows = await withNode(o.dir, ({ db }) => consentSummary(db));
      emit(ctx, o.json, rows, () =>
        formatTable(
          ['purpose', 'in force', 'revoked'],
          rows.map((r) => [r.purpose, formatCount(r.inForce), formatCount(r.revoked)])
        )
      );
    });
  examples(summary, 'fedmark node consent summary --dir ./node-a');
}
