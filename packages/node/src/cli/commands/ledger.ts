import { InvalidArgumentError, type Command } from 'commander';
import { LEDGER_ENTRY_TYPES, type LedgerEntry, type LedgerEntryType } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { intOption } from '../options.ts';
import { formatTable } from '../output.ts';
import { createProgress } from '../progress.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

function typeOption(value: string): LedgerEntryType {
  if (!(LEDGER_ENTRY_TYPES as readonly string[]).includes(value))
    throw new InvalidArgumentError(
      `expected one of ${LEDGER_ENTRY_TYPES.join(', ')}, got "${value}"`
    );
  return value as LedgerEntryType;
}

function shortBody(body: Record<string, unknown>): string {
  const text = JSON.stringify(body);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

export function ledgerTable(entries: readonly LedgerEntry[]): string {
  if (entries.length === 0) return 'No ledger entries match.\n';
  return formatTable(
    ['seq', 'at', 'type', 'subject', 'body'],
    entries.map((e) => [
      e.seq,
      e.at,
      e.type,
      e.subject === null ? '-' : `${e.subject.slice(0, 12)}…`,
      shortBody(e.body),
    ])
  );
}

/** Recomputes the chain; exit 13 naming the first bad entry when it does not verify. */
export async function verifyCommand(
  ctx: CliContext,
  dir: string,
  json: boolean | undefined
): Promise<void> {
  const { verifyLedger, listLedgerCheckpoints } = await import('../../ledger/index.ts');
  const { receiptMatchesCheckpoint } = await import('@fedmark/protocol');
  const result = await withNode(dir, ({ db }) => {
    const progress = createProgress(ctx.io, 'verify', { unit: 'entries' });
    try {
      // The stored checkpoints anchor the chain: a receipted one is the coordinator's word too.
      // (Receipt signatures are checked by `fedmark audit verify`, docs/audit.md.)
      const checkpoints = listLedgerCheckpoints(db).map((c) => ({
        treeSize: c.checkpoint.treeSize,
        rootHash: c.checkpoint.rootHash,
        timestamp: c.checkpoint.timestamp,
        trusted: c.receipt !== null && receiptMatchesCheckpoint(c.receipt, c.checkpoint),
      }));
      return verifyLedger(db, {
        checkpoints,
        onProgress: (done, total) => progress.update(done, total),
      });
    } finally {
      progress.stop();
    }
  });
  emit(ctx, json, result, () =>
    result.ok
      ? `Ledger OK: ${result.size} entries, hash chain intact; head ${result.head}\n`
      : `Ledger verification FAILED at entry seq ${result.firstBadSeq} (of ${result.size}): ${result.reason}\n`
  );
  if (!result.ok) {
    if (!json)
      ctx.io.err(
        `fedmark: ledger verification failed at entry seq ${result.firstBadSeq}: ${result.reason}\n`
      );
    ctx.exitCode = EXIT.LEDGER_INVALID;
  }
}

export function registerLedger(node: Command, ctx: CliContext): void {
  const ledger = node
    .command('ledger')
    .description("list or verify the node's append-only, hash-chained ledger");
  const list = ledger
    .command('list', { isDefault: true })
    .description(
      'list ledger entries (pseudonyms only, never raw customer ids); the default subcommand'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option(
      '--type <type>',
      `only entries of this type (${LEDGER_ENTRY_TYPES.join(', ')}); checkpoint padding entries record nothing and are listed only with --type padding`,
      typeOption
    )
    .option('--from <seq>', 'first sequence number', intOption(0), 0)
    .option('--limit <n>', 'at most this many entries', intOption(1, 1_000_000), 100)
    .option('--json', 'print {entries: [...]} as JSON')
    .action(
      async (o: {
        dir: string;
        type?: LedgerEntryType;
        from: number;
        limit: number;
        json?: boolean;
      }) => {
        const { listLedger } = await import('../../ledger/index.ts');
        const entries = await withNode(o.dir, ({ db }) =>
          listLedger(db, {
            fromSeq: o.from,
            limit: o.limit,
            // Up to 63 padding entries precede each checkpoint (docs/audit.md "Checkpoint padding").
            ...(o.type === undefined ? { padding: false } : { type: o.type }),
          })
        );
        emit(ctx, o.json, { entries }, () => ledgerTable(entries));
      }
    );
  examples(
    list,
    'fedmark node ledger --dir ./node-a',
    'fedmark node ledger --dir ./node-a --type release --from 10 --limit 5 --json'
  );
  const verify = ledger
    .command('verify')
    .description(
      'recompute the hash chain; exit 13 and name the first bad entry if anything was altered'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print {ok, size, head} or {ok:false, size, firstBadSeq, reason} as JSON')
    .action((o: { dir: string; json?: boolean }) => verifyCommand(ctx, o.dir, o.json));
  examples(verify, 'fedmark node ledger verify --dir ./node-a');
}
