import { resolve } from 'node:path';
import type { Command } from 'commander';
import { coordinatorFetch } from '@fedmark/protocol';
import type { AuditFetch, AuditReport } from '../../audit/index.ts';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT, EXIT_CODES_HELP } from '../exit-codes.ts';
import { withNode } from '../node-context.ts';
import { tlsFingerprintOption } from '../options.ts';
import { createProgress } from '../progress.ts';
import { examples } from './_help.ts';

interface AuditVerifyOptions {
  nodeDir?: string;
  node?: string;
  nodeKey?: string;
  coordinator?: string;
  token?: string;
  coordinatorToken?: string;
  tlsFingerprint?: string;
  deep?: boolean;
  json?: boolean;
}

interface AuditExportOptions extends AuditVerifyOptions {
  out: string;
  jsonOut?: string;
}

/**
 * HTTPS to the coordinator's pinned TLS key (docs/operations.md "TLS"): --tls-fingerprint, else
 * the pin in the audited node directory's coordinator.json; plain HTTP to loopback only.
 */
async function coordinatorAuditFetch(url: string, o: AuditVerifyOptions): Promise<AuditFetch> {
  const { pinnedCoordinator } = await import('../../federation/enroll.ts');
  const pin =
    o.tlsFingerprint ??
    (o.nodeDir !== undefined ? pinnedCoordinator(o.nodeDir)?.tlsFingerprint : undefined);
  try {
    return coordinatorFetch(url, pin);
  } catch (err) {
    throw new CliError(
      EXIT.USAGE,
      `--coordinator ${err instanceof Error ? err.message : String(err)}`
    );
  }
}

/**
 * Runs the audit over a node directory (--node-dir) or the node's auditor API (--node URL
 * --token T); the caller prints or exports the report. With --node-dir, --token is the
 * coordinator's (as before); with --node it is the node's, and the coordinator's comes from
 * --coordinator-token or $FEDMARK_TOKEN.
 */
async function runAudit(ctx: CliContext, o: AuditVerifyOptions): Promise<AuditReport> {
  if ((o.nodeDir === undefined) === (o.node === undefined))
    throw new CliError(EXIT.USAGE, 'give exactly one of --node-dir <path> or --node <url>');
  const env = ctx.io.env;
  const nodeToken = o.node !== undefined ? (o.token ?? env['FEDMARK_NODE_TOKEN']) : undefined;
  if (o.node !== undefined && (nodeToken === undefined || nodeToken === '')) {
    throw new CliError(
      EXIT.USAGE,
      "--node needs --token or FEDMARK_NODE_TOKEN (an auditor token from the node's api-tokens.json)"
    );
  }
  const coordinatorToken =
    o.coordinatorToken ?? (o.node === undefined ? o.token : undefined) ?? env['FEDMARK_TOKEN'];
  if (o.coordinator !== undefined && (coordinatorToken === undefined || coordinatorToken === '')) {
    throw new CliError(
      EXIT.USAGE,
      `--coordinator needs ${o.node === undefined ? '--token' : '--coordinator-token'} or FEDMARK_TOKEN (the coordinator auditor or operator token; see docs/audit.md)`
    );
  }
  if (o.deep && o.node !== undefined)
    throw new CliError(
      EXIT.USAGE,
      '--deep reads every committed unit list from the node database: use it with --node-dir, not --node'
    );
  let nodeKey: Uint8Array | undefined;
  if (o.nodeKey !== undefined) {
    if (!/^[0-9a-f]{64}$/.test(o.nodeKey))
      throw new CliError(
        EXIT.USAGE,
        '--node-key: expected the 64-hex Ed25519 public key of the node'
      );
    nodeKey = Uint8Array.from(Buffer.from(o.nodeKey, 'hex'));
  }
  const { auditNode, httpLedgerSource } = await import('../../audit/index.ts');
  const common = {
    ...(o.coordinator !== undefined && coordinatorToken !== undefined
      ? {
          coordinator: {
            url: o.coordinator,
            token: coordinatorToken,
            fetch: await coordinatorAuditFetch(o.coordinator, o),
          },
        }
      : {}),
    ...(nodeKey ? { nodeKey } : {}),
    ...(o.deep ? { deep: true } : {}),
  };
  const progress = createProgress(ctx.io, 'audit', { unit: 'entries' });
  try {
    if (o.node !== undefined) {
      try {
        return await auditNode({
          source: httpLedgerSource({ url: o.node, token: nodeToken as string }),
          ...common,
          onProgress: (done) => progress.update(done),
        });
      } catch (err) {
        // The node could not be read (down, wrong token, malformed answers): not a ledger verdict.
        throw new CliError(
          EXIT.FAILURE,
          `could not audit ${o.node}: ${err instanceof Error ? err.message : String(err)}`
        );
      }
    }
    return await withNode(o.nodeDir as string, ({ db, dir }) =>
      auditNode({ dir, db, ...common, onProgress: (done) => progress.update(done) })
    );
  } finally {
    progress.stop();
  }
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
  if (o.jsonOut !== undefined && resolve(o.jsonOut) === resolve(o.out))
    throw new CliError(EXIT.USAGE, '--json-out must differ from --out');
  const report = await runAudit(ctx, o);
  const { exportAuditReport } = await import('../../audit/index.ts');
  try {
    exportAuditReport(report, {
      out: o.out,
      ...(o.jsonOut === undefined ? {} : { jsonOut: o.jsonOut }),
    });
  } catch (err) {
    throw new CliError(
      EXIT.FAILURE,
      `could not write the report: ${err instanceof Error ? err.message : String(err)}`
    );
  }
  const written = {
    ok: report.ok,
    html: o.out,
    json: o.jsonOut ?? null,
    firstFailure: report.firstFailure,
  };
  emit(
    ctx,
    o.json,
    written,
    () =>
      `Audit of node ${report.node}: ${report.ok ? 'PASSED' : 'FAILED'}; report written to ${o.out}${o.jsonOut ? ` and ${o.jsonOut}` : ''}\n`
  );
  failOnFirstFailure(ctx, report);
}

/** What to audit and against what: the same options for `verify` and `export`. */
function auditInputOptions(cmd: Command): void {
  cmd
    .option('--node-dir <path>', 'the node directory to audit (reads its database)')
    .option(
      '--node <url>',
      "or audit through the node's local API (auditor token, no database access)"
    )
    .option(
      '--node-key <hex>',
      "pin the node's Ed25519 public key (refuse a node reporting another)"
    )
    .option(
      '--coordinator <url>',
      "also check the node's checkpoints against this coordinator's transparency log"
    )
    .option(
      '--token <token>',
      'with --node: the node auditor token (default: $FEDMARK_NODE_TOKEN); with --node-dir: the coordinator auditor or operator token (default: $FEDMARK_TOKEN)'
    )
    .option(
      '--coordinator-token <token>',
      'with --node: the coordinator auditor or operator token (default: $FEDMARK_TOKEN)'
    )
    .option(
      '--tls-fingerprint <pin>',
      "the coordinator's TLS key pin, sha256:<hex> (default: the one pinned in --node-dir)",
      tlsFingerprintOption
    )
    .option(
      '--deep',
      "with --node-dir: also read every release's committed unit list in full and check it is sorted and hashes to its root (the premise of erasure_honoured's proofs; O(n) per release)"
    );
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command('audit')
    .description("verify a node's ledger, checkpoints and compliance (compliance auditors)");
  audit.addHelpText('after', EXIT_CODES_HELP);
  const verify = audit
    .command('verify')
    .description(
      'recompute the hash chain and Merkle tree, check every checkpoint signature, receipt and consistency, ' +
        "optionally against the coordinator's transparency log, and report budgets, releases, consents, erasures and refusals"
    )
    .option('--json', 'print the full audit report as JSON')
    .action((o: AuditVerifyOptions) => auditVerify(ctx, o));
  auditInputOptions(verify);
  const exp = audit
    .command('export')
    .description(
      'run the same audit and write a self-contained HTML report an auditor can file (inline CSS and SVG charts, no scripts)'
    )
    .requiredOption('--out <file>', 'HTML report to write (atomically: temp file + rename)')
    .option('--json-out <file>', 'also write the report as JSON')
    .option('--json', 'print what was written as JSON')
    .action((o: AuditExportOptions) => auditExport(ctx, o));
  auditInputOptions(exp);
  examples(
    exp,
    'fedmark audit export --node-dir ./node-a --out audit-node-a.html --json-out audit-node-a.json',
    'fedmark audit export --node http://127.0.0.1:8701 --token "$NODE_AUDITOR_TOKEN" --out audit-node-a.html'
  );
  examples(
    verify,
    'fedmark audit verify --node-dir ./node-a --json',
    'fedmark audit verify --node-dir ./node-a --deep',
    'fedmark audit verify --node-dir ./node-a --coordinator https://127.0.0.1:8700 --token "$FEDMARK_OPERATOR_TOKEN"',
    'fedmark audit verify --node http://127.0.0.1:8701 --token "$NODE_AUDITOR_TOKEN" --coordinator https://127.0.0.1:8700 --coordinator-token "$FEDMARK_OPERATOR_TOKEN" --tls-fingerprint "$FEDMARK_TLS_FINGERPRINT"'
  );
}
