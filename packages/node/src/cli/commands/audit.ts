import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT, EXIT_CODES_HELP } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { createProgress } from '../progress.ts';
import { examples } from './_help.ts';

interface AuditVerifyOptions {
  nodeDir: string;
  coordinator?: string;
  token?: string;
  json?: boolean;
}

/**
 * Full audit of a node directory (docs/audit.md): exit 0 when every check passes, 13
 * (LEDGER_INVALID) otherwise, with the first failing entry and check on stderr.
 */
async function auditVerify(ctx: CliContext, o: AuditVerifyOptions): Promise<void> {
  const token = o.token ?? ctx.io.env['FEDMARK_TOKEN'];
  if (o.coordinator !== undefined && (token === undefined || token === '')) {
    throw new CliError(EXIT.USAGE, '--coordinator needs --token or FEDMARK_TOKEN (the coordinator operator token; see docs/audit.md)');
  }
  const { auditNode, formatAuditReport } = await import('../../audit/index.ts');
  const report = await withNode(o.nodeDir, async ({ db, dir }) => {
    const progress = createProgress(ctx.io, 'audit', { unit: 'entries' });
    try {
      return await auditNode({
        dir,
        db,
        ...(o.coordinator !== undefined && token !== undefined ? { coordinator: { url: o.coordinator, token } } : {}),
        onProgress: (done) => progress.update(done),
      });
    } finally {
      progress.stop();
    }
  });
  emit(ctx, o.json, report, () => formatAuditReport(report));
  const f = report.firstFailure;
  if (f) {
    const where = f.firstBadSeq === undefined ? '' : ` at entry seq ${f.firstBadSeq}`;
    ctx.io.err(`fedmark: ledger verification failed${where}: ${f.detail} (check ${f.check})\n`);
    ctx.exitCode = EXIT.LEDGER_INVALID;
  }
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program.command('audit').description("verify a node's ledger, checkpoints and compliance (compliance auditors)");
  audit.addHelpText('after', EXIT_CODES_HELP);
  const verify = audit
    .command('verify')
    .description(
      'recompute the hash chain and Merkle tree, check every checkpoint signature, receipt and consistency, ' +
        "optionally against the coordinator's transparency log, and report budgets, releases, consents, erasures and refusals"
    )
    .requiredOption('--node-dir <path>', 'the node directory to audit')
    .option('--coordinator <url>', "also check the node's checkpoints against this coordinator's transparency log")
    .option('--token <token>', 'coordinator operator token, needed with --coordinator (default: $FEDMARK_TOKEN)')
    .option('--json', 'print the full audit report as JSON')
    .action((o: AuditVerifyOptions) => auditVerify(ctx, o));
  examples(
    verify,
    'fedmark audit verify --node-dir ./node-a --json',
    'fedmark audit verify --node-dir ./node-a --coordinator http://127.0.0.1:8700 --token "$FEDMARK_OPERATOR_TOKEN"'
  );
}
