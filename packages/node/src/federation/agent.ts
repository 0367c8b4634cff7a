import { z } from 'zod';
import {
  TaskSchema,
  TasksEtagSchema,
  canonicalHash,
  sha256Hex,
  isProtocolError,
  type Canonical,
  type Task,
  coordinatorFetch,
  hexToBytes,
  logLevelFrom,
} from '@fedmark/protocol';
import type { SegmentQuery } from '@fedmark/protocol';
import type { UnitSource } from '../analytics/types.ts';
import { loadIdentity } from '../identity/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { openUnitSource } from '../warehouse/index.ts';
import { loadPolicy } from '../policy/index.ts';
import { releaseSegmentStats } from '../release/index.ts';
import {
  TransientError,
  createCoordinatorClient,
  sleep,
  type AgentLog,
  type FetchFn,
} from './client.ts';
import type { AgentContext, ReleaseFn } from './context.ts';
import { handleKeyGenerate, handleKeyInstall } from './key-ceremony.ts';
import { handleJobRound } from './job-round.ts';
import { handleDecrypt } from './decrypt.ts';
import { handleSecaggSetup } from './secagg-setup.ts';
import { handleSecaggUnmask } from './secagg-unmask.ts';
import { handleOverlap } from '../overlap/overlap-task.ts';
import { requireInstalledEpoch } from './members.ts';
import { pinnedCoordinator } from './enroll.ts';
import { sendPolicySummaryIfChanged } from './policy-summary.ts';
import { sendCheckpointIfDue } from './checkpoint-sender.ts';
import { stderrAgentLog } from './agent-log.ts';
import { isTransientLocalError } from './transient.ts';

export interface RunAgentOptions {
  /** Node directory (identity.json, node.db, policy.json, he-keys/). */
  dir: string;
  coordinatorUrl: string;
  /** Poll interval (default 1000 ms). */
  pollMs?: number;
  /** Stops the loop (the promise then resolves). */
  signal?: AbortSignal;
  log?: AgentLog;
  /** Egress seam: all HTTP goes through it (default global fetch). */
  fetch?: FetchFn;
  /** Release path override (tests); default the node's releaseSegmentStats. */
  release?: ReleaseFn;
  /** Data source override (tests, warehouse back ends); default the node's SQLite store. */
  source?: (query: SegmentQuery) => UnitSource;
  /** Stop after this many polls (tests); default unlimited. */
  maxPolls?: number;
  /** Retry backoff base for requests (default 200 ms). */
  backoffMs?: number;
}

const TasksEnvelopeSchema = z.object({
  version: z.literal(1),
  tasks: z.array(z.unknown()).max(1000),
});

/** Default log: one JSON line per event on stderr. Details carry ids and reasons only, never keys or data. */

/**
 * Key tasks first (a job round may need the key installed in the same poll), then a round's
 * phases in their order (docs/secure-aggregation.md "Round phases"): setup, masked input,
 * unmask, then decryptions.
 */
const ORDER: Record<Task['type'], number> = {
  key_generate: 0,
  key_install: 1,
  secagg_setup: 2,
  job_round: 3,
  secagg_unmask: 4,
  decrypt: 5,
  overlap: 6,
};

/** After a poll that answered a task, the next one comes this soon: a round has several phases. */
const BUSY_POLL_MS = 100;

/**
 * How long the coordinator may hold a poll whose task list is unchanged (docs/federation-protocol.md
 * "Polling"): an idle node asks about every 20 s instead of every pollMs, and still hears of a new
 * task at once. Under TASKS_MAX_WAIT_SECONDS, and far under undici's 300 s headers timeout.
 */
const TASKS_WAIT_SECONDS = 20;
const TASKS_PATH = `/v1/node/tasks?wait=${TASKS_WAIT_SECONDS}`;
/** Pause before a poll the coordinator will hold (it answers a change within its 25 ms check). */
const HELD_POLL_GAP_MS = 25;

function taskLabel(t: Task): Record<string, unknown> {
  if (t.type === 'key_generate' || t.type === 'key_install')
    return { type: t.type, keyId: t.keyId };
  if (t.type === 'overlap') return { type: t.type, jobId: t.jobId, pair: t.pair, step: t.step };
  return { type: t.type, jobId: t.jobId, round: t.round };
}

function errorText(err: unknown): string {
  if (isProtocolError(err)) return `${err.code}: ${err.message}`;
  if (err instanceof Error) return `${err.name}: ${err.message}`;
  return 'unknown error';
}

async function handle(ctx: AgentContext, task: Task): Promise<void> {
  switch (task.type) {
    case 'key_generate':
      return handleKeyGenerate(ctx, task);
    case 'key_install':
      return handleKeyInstall(ctx, task);
    // Only on an epoch this node accepted, with its pinned members (docs/federation-protocol.md
    // "Key ceremony"): the coordinator cannot run a job under a member set no node agreed to.
    // The round and secure-aggregation handlers call requireInstalledEpoch themselves: they
    // need the pinned members' signing and box keys it returns.
    case 'job_round':
      return handleJobRound(ctx, task);
    case 'secagg_setup':
      return handleSecaggSetup(ctx, task);
    case 'secagg_unmask':
      return handleSecaggUnmask(ctx, task);
    case 'decrypt':
      requireInstalledEpoch(ctx.db, ctx.dir, task.keyId);
      return handleDecrypt(ctx, task);
    case 'overlap':
      ctx.psiRuns ??= new Map();
      return handleOverlap(ctx, task, ctx.psiRuns);
  }
}

/**
 * The node's federation agent: polls the coordinator (outbound only) and answers each task. A
 * task that fails for a reason other than the network is logged once and not retried until the
 * coordinator changes it; a network failure is retried on the next poll. One bad task never
 * stops the loop.
 */
export async function runAgent(opts: RunAgentOptions): Promise<void> {
  const pollMs = opts.pollMs ?? 1000;
  const identity = loadIdentity(opts.dir);
  const log = opts.log ?? stderrAgentLog(identity.name, logLevelFrom(process.env));
  // coordinator.json, read once: the TLS pin and the signing key that checks receipts.
  const pinned = pinnedCoordinator(opts.dir);
  // HTTPS to the TLS key pinned at enrollment, or loopback HTTP; refused before the database opens.
  const doFetch = opts.fetch ?? coordinatorFetch(opts.coordinatorUrl, pinned?.tlsFingerprint);
  const db = openNodeDatabase(opts.dir);
  const client = createCoordinatorClient({
    coordinatorUrl: opts.coordinatorUrl,
    identity,
    log,
    fetch: doFetch,
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
  });
  const coordinatorKey = pinned ? hexToBytes(pinned.coordinatorKey) : undefined;
  const ctx: AgentContext = {
    dir: opts.dir,
    identity,
    db,
    client,
    log,
    release: opts.release ?? releaseSegmentStats,
    policy: () => loadPolicy(opts.dir),
    // Consent must be in force now, when the computation runs, not only at asOf
    // (docs/node-data.md "Consent semantics").
    source:
      opts.source ??
      ((q) => openUnitSource(db, { purpose: q.purpose, asOf: q.asOf, consentAt: new Date() })),
    now: () => Date.now(),
    ...(coordinatorKey ? { coordinatorKey } : {}),
  };
  const summarySent: { policyHash?: string } = {};
  // Tasks that failed for good, by content hash: a changed task is tried again.
  const failed = new Set<string>();
  // The ETag of the last task list this agent dealt with in full: sent back, the coordinator
  // answers 304 (after holding the poll up to TASKS_WAIT_SECONDS) while the list is the same.
  let etag: string | undefined;
  // Fresh answers in a row that gave this node nothing to do (see HELD_POLL_GAP_MS).
  let quietAnswers = 0;
  log('agent_started', { node: identity.name, coordinator: opts.coordinatorUrl, pollMs });
  try {
    for (
      let polls = 0;
      !opts.signal?.aborted && (opts.maxPolls === undefined || polls < opts.maxPolls);
      polls++
    ) {
      let answered = 0;
      // How soon the next poll may go: pollMs unless this one shows that sooner is useful.
      let interval = pollMs;
      const started = Date.now();
      try {
        // Job preflight: the coordinator judges new jobs on this node's current policy terms.
        await sendPolicySummaryIfChanged(ctx, summarySent).catch((err: unknown) =>
          log('policy_summary_failed', { error: errorText(err) })
        );
        // The envelope first, then each task on its own: one malformed task must not hide the others.
        const polled = await client.poll(TASKS_PATH, etag, TasksEnvelopeSchema);
        // Unchanged (304): every task in the list was answered, failed for good or is not this
        // node's to answer yet, so there is nothing to do. Otherwise the tag is kept only if
        // every task is dealt with by the end of this poll (below).
        const raw = polled.unchanged ? [] : polled.data.tasks;
        let nextEtag = TasksEtagSchema.safeParse(polled.etag).success ? polled.etag : undefined;
        const tasks: Task[] = [];
        for (const item of raw) {
          const parsed = TaskSchema.safeParse(item);
          if (parsed.success) tasks.push(parsed.data);
          else if (!failed.has(`malformed:${sha256Hex(JSON.stringify(item) ?? '')}`)) {
            failed.add(`malformed:${sha256Hex(JSON.stringify(item) ?? '')}`);
            const issue = parsed.error.issues[0];
            log('task_malformed', {
              error: `field "${issue?.path.join('.') ?? ''}" ${issue?.message ?? 'invalid'}`,
            });
          }
        }
        for (const task of tasks.sort((a, b) => ORDER[a.type] - ORDER[b.type])) {
          if (opts.signal?.aborted) break;
          const id = canonicalHash('agent-task', task as unknown as Canonical);
          if (failed.has(id)) continue;
          try {
            await handle(ctx, task);
            answered++;
          } catch (err) {
            if (opts.signal?.aborted) break;
            if (err instanceof TransientError || isTransientLocalError(err)) {
              // Retried on the next poll, which must then bring the full list again.
              nextEtag = undefined;
              log('task_deferred', {
                ...taskLabel(task),
                error: err instanceof Error ? err.message : String(err),
              });
            } else {
              failed.add(id);
              log('task_failed', { ...taskLabel(task), error: errorText(err) });
            }
          }
        }
        if (opts.signal?.aborted) break;
        etag = nextEtag;
        quietAnswers = polled.unchanged || answered > 0 ? 0 : quietAnswers + 1;
        if (etag !== undefined && !polled.unchanged && quietAnswers <= 1) {
          // A fresh answer from a coordinator that holds polls: the next poll waits there, so
          // it may go at once. A round moves through several phases, each of which changes
          // this answer; two answers in a row that brought nothing slow down to pollMs.
          interval = Math.min(pollMs, HELD_POLL_GAP_MS);
        } else if (answered > 0) interval = Math.min(pollMs, BUSY_POLL_MS);
        await sendCheckpointIfDue(ctx); // after releases, and at least hourly
      } catch (err) {
        if (opts.signal?.aborted) break;
        etag = undefined;
        log('poll_failed', { error: errorText(err) });
      }
      if (opts.maxPolls !== undefined && polls + 1 >= opts.maxPolls) break;
      // A held poll already waited on the coordinator; a quick answer (an error, a deferred
      // task, a coordinator that does not hold polls) is followed by the usual pause.
      try {
        await sleep(Math.max(0, interval - (Date.now() - started)), opts.signal);
      } catch {
        break;
      }
    }
  } finally {
    db.close();
    log('agent_stopped', { node: identity.name });
  }
}
