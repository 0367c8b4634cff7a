import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { AuditReport } from '../../audit/index.ts';
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

interface AuditExportOptions extends AuditVerifyOptions {
  out: string;
  jsonOut?: string;
}

/** Runs the audit (node directory); the caller prints or exports the report. */
async function runAudit(ctx: CliContext, o: AuditVerifyOptions): Promise<AuditReport> {
  const token = o.token ?? ctx.io.env['FEDMARK_TOKEN'];
  if (o.coordinator !== undefined && (token === undefined || token === '')) {
    throw new CliError(EXIT.USAGE, '--coordinator needs --token or FEDMARK_TOKEN (the coordinator operator token; see docs/audit.md)');
  }
  const { auditNode } = await import('../../audit/index.ts');
  return withNode(o.nodeDir, async ({ db, dir }) => {
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
}

/** Exit 13 (LEDGER_INVALID) with the first failing entry and check on stderr. */
function failOnFirstFailure(ctx: CliContext, report: AuditReport): void {
  const f = report.firstFailure;
  if (f) {
    const where = f.firstBadSeq === undefined ? '' : ` at entry seq ${f.firstBadSeq}`;
    ctx.io.err(`fedmark: ledger verification failed${where}: ${f.detail} (check ${f.check})\n`);
    ctx.exitCode = EXIT.LEDGER_INVALID;
  }
}

/**
 * Full audit of a node (docs/audit.md): exit 0 when every check passes, 13 (LEDGER_INVALID)
 * otherwise, with the first failing entry and check on stderr.
 */
async function auditVerify(ctx: CliContext, o: AuditVerifyOptions): Promise<void> {
  const report = await runAudit(ctx, o);
  const { formatAuditReport } = await import('../../audit/index.ts');
  emit(ctx, o.json, report, () => formatAuditReport(report));
  failOnFirstFailure(ctx, report);
}

/**
 * The same audit written as a self-contained HTML report (and optionally JSON), each file
 * written atomically. The exit code is verify's: the report is written either way.
 */
async function auditExport(ctx: CliContext, o: AuditExportOptions): Promise<void> {
  if (o.jsonOut !== undefined && resolve(o.jsonOut) === resolve(o.out)) throw new CliError(EXIT.USAGE, '--json-out must differ from --out');
  const report = await runAudit(ctx, o);
  const { exportAuditReport } = await import('../../audit/index.ts');
  try {
    exportAuditReport(report, { out: o.out, ...(o.jsonOut === undefined ? {} : { jsonOut: o.jsonOut }) });
  } catch (err) {
    throw new CliError(EXIT.FAILURE, `could not write the report: ${err instanceof Error ? err.message : String(err)}`);
  }
  const written = { ok: report.ok, html: o.out, json: o.jsonOut ?? null, firstFailure: report.firstFailure };
  emit(ctx, o.json, written, () => `Audit of node ${report.node}: ${report.ok ? 'PASSED' : 'FAILED'}; report written to ${o.out}${o.jsonOut ? ` and ${o.jsonOut}` : ''}\n`);
  failOnFirstFailure(ctx, report);
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
  const exp = audit
    .command('export')
    .description('run the same audit and write a self-contained HTML report an auditor can file (inline CSS and SVG charts, no scripts)')
    .requiredOption('--node-dir <path>', 'the node directory to audit')
    .requiredOption('--out <file>', 'HTML report to write (atomically: temp file + rename)')
    .option('--json-out <file>', 'also write the report as JSON')
    .option('--coordinator <url>', "also check the node's checkpoints against this coordinator's transparency log")
    .option('--token <token>', 'coordinator operator token, needed with --coordinator (default: $FEDMARK_TOKEN)')
    .option('--json', 'print what was written as JSON')
    .action((o: AuditExportOptions) => auditExport(ctx, o));
  examples(exp, 'fedmark audit export --node-dir ./node-a --out audit-node-a.html --json-out audit-node-a.json');
  examples(
    verify,
    'fedmark audit verify --node-dir ./node-a --json',
    'fedmark audit verify --node-dir ./node-a --coordinator http://127.0.0.1:8700 --token "$FEDMARK_OPERATOR_TOKEN"'
  );
}
