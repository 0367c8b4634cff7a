import { fromBase64, sha256Hex, type HeParamsId } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { sumContributions } from '../aggregation/sum.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { recordEvent } from './events.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { closeSetup, setsOf, signSets } from './secagg.ts';
import { thresholdOf } from './threshold.ts';
import { namingRefusals, roundParticipants } from './exclusions.ts';

/** At most this many contributors are asked to decrypt; two agreeing answers publish. */
export const DECRYPTORS = 3;

export type CloseDecision =
  | { action: 'wait'; wakeAt: number | null }
  | { action: 'close'; reason: string }
  | { action: 'fail'; code: 'QUORUM_NOT_MET'; message: string };

/** Who a phase waits for and how many it needs (setup: participants; masked input: advertisers). */
export interface PhaseQuorum {
  expected: number;
  min: number;
  stragglerWaitMs: number;
}

/**
 * Closing rules of a phase (docs/federation-protocol.md "Closing"), a pure function of the round's
 * state: everyone expected answered; or `min` answered and the straggler wait passed; or the
 * deadline passed. Below `min` at the deadline, or when refusals make it unreachable, the round
 * fails with QUORUM_NOT_MET and nothing is aggregated or decrypted. The setup phase expects the
 * job's participants and needs the secure-aggregation threshold; masked input expects the nodes
 * that sent a setup and needs the same threshold (fewer survivors could not be unmasked).
 */
export function decideClose(
  q: PhaseQuorum,
  r: RoundRecord,
  submitted: number,
  refused: number,
  now: number
): CloseDecision {
  const n = q.expected;
  const min = q.min;
  const pending = n - submitted - refused;
  const shortBy = `${submitted} of ${min} required nodes submitted`;
  if (submitted + pending < min) {
    return {
      action: 'fail',
      code: 'QUORUM_NOT_MET',
      message: `${shortBy} and ${refused} refused: the minimum can no longer be reached`,
    };
  }
  if (pending === 0) return { action: 'close', reason: `all ${n} participants answered` };
  if (now >= r.deadlineAt) {
    return submitted >= min
      ? { action: 'close', reason: `deadline reached with ${submitted} of ${n} submissions` }
      : { action: 'fail', code: 'QUORUM_NOT_MET', message: `${shortBy} by the deadline` };
  }
  if (submitted >= min && r.quorumAt !== null) {
    const until = r.quorumAt + q.stragglerWaitMs;
    if (now >= until)
      return { action: 'close', reason: `${submitted} of ${n} submitted; straggler wait over` };
    return { action: 'wait', wakeAt: Math.min(until, r.deadlineAt) };
  }
  return { action: 'wait', wakeAt: r.deadlineAt };
}

/**
 * The quorum of the round's current phase. `participants`: how many were asked to set up the
 * round (roundParticipants; default all the job's).
 */
export function phaseQuorum(
  job: JobRecord,
  r: RoundRecord,
  participants = job.participants.length
): PhaseQuorum {
  return {
    expected: r.status === 'setup' ? participants : (r.secagg?.adverts.length ?? 0),
    min: thresholdOf(job),
    stragglerWaitMs: job.spec.stragglerWaitMs,
  };
}

export type DecryptionDecision =
  | { action: 'wait'; wakeAt: number }
  | { action: 'extend' }
  | { action: 'fail'; message: string };

/**
 * Decryption and unmask liveness (a decryptor or survivor may die after submitting): deadlineMs
 * after the round closed without a publishable answer, every contributor is asked to decrypt;
 * after twice that the job fails with DECRYPTION_TIMEOUT instead of waiting forever. Nothing is
 * published without agreeing decryptions and the unmask correction.
 */
export function decideDecryption(
  job: JobRecord,
  r: RoundRecord,
  answered: number,
  now: number,
  unmasked = 0
): DecryptionDecision {
  const closed = r.closedAt ?? now;
  const asked = r.decryptors ?? [];
  if (asked.length < (r.contributors ?? []).length) {
    return now >= closed + job.spec.deadlineMs
      ? { action: 'extend' }
      : { action: 'wait', wakeAt: closed + job.spec.deadlineMs };
  }
  const until = closed + 2 * job.spec.deadlineMs;
  if (now < until) return { action: 'wait', wakeAt: until };
  return {
    action: 'fail',
    message: `only ${answered} of ${asked.length} asked nodes answered the decryption request and ${unmasked} of the ${thresholdOf(job)} unmask answers needed arrived in time; nothing was published`,
  };
}

/** Deterministic spread of decryption work: contributors ordered by a hash of (job, round, name). */
export function pickDecryptors(jobId: string, round: number, contributors: string[]): string[] {
  return [...contributors]
    .sort((a, b) =>
      sha256Hex(`${jobId}/${round}/${a}`).localeCompare(sha256Hex(`${jobId}/${round}/${b}`))
    )
    .slice(0, DECRYPTORS);
}

/**
 * Drives open rounds: re-evaluates closing rules after every submission or refusal, on timers
 * armed from stored deadlines, and on start (resume). Closing is one transaction: the
 * aggregate, the decryptors, the new status and the events land together or not at all.
 */
export class RoundEngine {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly ctx: Ctx,
    private readonly armTimers: boolean
  ) {}

  /** Re-checks every open or decrypting round (start-up resume, and tests that move the clock). */
  async tick(): Promise<void> {
    for (const r of this.ctx.store.jobs.activeRounds()) await this.evaluate(r.jobId, r.round);
  }

  async evaluate(jobId: string, round: number): Promise<void> {
    const { jobs } = this.ctx.store;
    const job = jobs.getJob(jobId);
    const r = jobs.getRound(jobId, round);
    if (!job || !r) return;
    if (r.status === 'decrypting') return this.watchDecryption(job, r);
    if (r.status === 'setup') return this.evaluateSetup(job, r);
    if (r.status !== 'open') return;
    const first = decideClose(
      phaseQuorum(job, r),
      r,
      jobs.submissions(jobId, round).length,
      jobs.refusals(jobId, round).length,
      this.ctx.now()
    );
    if (first.action === 'wait') return this.arm(jobId, round, first.wakeAt);
    // SEAL loads asynchronously; the decision is taken again inside the transaction below.
    const he = first.action === 'close' ? await this.ctx.heFor(this.heParamsOf(job)) : undefined;
    this.ctx.store.transaction(() => {
      const cur = jobs.getRound(jobId, round);
      if (!cur || cur.status !== 'open') return;
      const subs = jobs.submissions(jobId, round);
      const d = decideClose(
        phaseQuorum(job, cur),
        cur,
        subs.length,
        jobs.refusals(jobId, round).length,
        this.ctx.now()
      );
      if (d.action === 'fail') {
        const message = namingRefusals(d.message, jobs.refusals(jobId, round));
        this.failRound(jobId, round, { ...d, message });
      } else if (d.action === 'close' && he) {
        const contributors = subs.map((s) => s.node).sort();
        const aggregate = sumContributions(
          he,
          contributors.map((n) => jobs.ciphertexts(jobId, round, n))
        );
        const decryptors = pickDecryptors(jobId, round, contributors);
        // The closed sets of the unmask phase: every advertiser either submitted or dropped.
        const adverts = cur.secagg?.adverts ?? [];
        const dropped = adverts.map((a) => a.node).filter((n) => !contributors.includes(n));
        const closing = { ...cur, secagg: { adverts, survivors: contributors, dropped } };
        const secagg = {
          ...closing.secagg,
          setsSignature: signSets(this.ctx, setsOf(job, closing)),
        };
        jobs.updateRound(jobId, round, {
          status: 'decrypting',
          closedAt: this.ctx.now(),
          closeReason: d.reason,
          contributors,
          decryptors,
          aggregate,
          secagg,
        });
        recordEvent(this.ctx, jobId, 'round_closed', {
          round,
          detail: { outcome: 'aggregating', reason: d.reason, contributors, dropped },
        });
        recordEvent(this.ctx, jobId, 'aggregate_stored', {
          round,
          detail: {
            ciphertexts: aggregate.length,
            aggregateHashes: aggregate.map((b) => sha256Hex(fromBase64(b))),
            decryptors,
          },
        });
        this.ctx.log(
          `job ${jobId} round ${round} closed (${d.reason}); decryptors ${decryptors.join(', ')}`
        );
      }
    });
    this.clear(jobId, round);
    const after = jobs.getRound(jobId, round);
    if (after?.status === 'decrypting') this.watchDecryption(job, after);
  }

  /** Phase 1: closes the setup phase into masked input, or fails the round below threshold. */
  private evaluateSetup(job: JobRecord, r: RoundRecord): void {
    const { jobs } = this.ctx.store;
    const asked = roundParticipants(jobs, job, r.round).length;
    const decide = (cur: RoundRecord) =>
      decideClose(
        phaseQuorum(job, cur, asked),
        cur,
        jobs.secaggSenders(cur.jobId, cur.round, 'setup').length,
        0,
        this.ctx.now()
      );
    const first = decide(r);
    if (first.action === 'wait') {
      this.arm(r.jobId, r.round, first.wakeAt);
      return;
    }
    this.ctx.store.transaction(() => {
      const cur = jobs.getRound(r.jobId, r.round);
      if (!cur || cur.status !== 'setup') return;
      const d = decide(cur);
      if (d.action === 'fail') this.failRound(r.jobId, r.round, d);
      else if (d.action === 'close') closeSetup(this.ctx, job, cur, d.reason);
    });
    this.clear(r.jobId, r.round);
    const after = jobs.getRound(r.jobId, r.round);
    if (after?.status === 'open') void this.evaluate(r.jobId, r.round);
  }

  /** A round that cannot reach its quorum (call inside a transaction). */
  private failRound(
    jobId: string,
    round: number,
    d: { code: 'QUORUM_NOT_MET'; message: string }
  ): void {
    const { jobs } = this.ctx.store;
    jobs.updateRound(jobId, round, {
      status: 'failed',
      closedAt: this.ctx.now(),
      closeReason: d.message,
    });
    jobs.updateJob(jobId, { status: 'failed', failure: { code: d.code, message: d.message } });
    recordEvent(this.ctx, jobId, 'round_closed', {
      round,
      detail: { outcome: 'failed', reason: d.message },
    });
    recordEvent(this.ctx, jobId, 'job_failed', {
      round,
      detail: { code: d.code, message: d.message },
    });
    this.ctx.log(`job ${jobId} round ${round} failed: ${d.message}`, 'warn');
  }

  private watchDecryption(job: JobRecord, r: RoundRecord): void {
    const { jobs } = this.ctx.store;
    const d = decideDecryption(
      job,
      r,
      jobs.decryptions(r.jobId, r.round).length,
      this.ctx.now(),
      jobs.secaggSenders(r.jobId, r.round, 'unmask').length
    );
    if (d.action === 'wait') {
      this.arm(r.jobId, r.round, d.wakeAt);
      return;
    }
    this.ctx.store.transaction(() => {
      const cur = jobs.getRound(r.jobId, r.round);
      if (!cur || cur.status !== 'decrypting') return;
      if (d.action === 'extend') {
        const decryptors = [
          ...(cur.decryptors ?? []),
          ...(cur.contributors ?? []).filter((n) => !cur.decryptors?.includes(n)),
        ];
        jobs.updateRound(r.jobId, r.round, { decryptors });
        recordEvent(this.ctx, r.jobId, 'decryptors_extended', {
          round: r.round,
          detail: { decryptors },
        });
      } else {
        jobs.updateRound(r.jobId, r.round, { status: 'failed', closeReason: d.message });
        jobs.updateJob(r.jobId, {
          status: 'failed',
          failure: { code: 'DECRYPTION_TIMEOUT', message: d.message },
        });
        recordEvent(this.ctx, r.jobId, 'job_failed', {
          round: r.round,
          detail: { code: 'DECRYPTION_TIMEOUT', message: d.message },
        });
      }
    });
    const next = jobs.getRound(r.jobId, r.round);
    if (next?.status === 'decrypting') this.watchDecryption(job, next);
  }

  /** Re-arms the timer of an open round (after a restart, a submission or a new round). */
  schedule(jobId: string, round: number): void {
    void this.evaluate(jobId, round).catch((err: unknown) =>
      this.ctx.log(`job ${jobId} round ${round}: evaluation failed: ${String(err)}`, 'error')
    );
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }

  private heParamsOf(job: JobRecord): HeParamsId {
    return (this.ctx.store.keys.get(job.keyId)?.heParams ?? DEFAULT_HE_PARAMS) as HeParamsId;
  }

  private arm(jobId: string, round: number, wakeAt: number | null): void {
    if (!this.armTimers || this.stopped || wakeAt === null) return;
    this.clear(jobId, round);
    const delay = Math.max(0, Math.min(wakeAt - this.ctx.now(), 2 ** 31 - 1)) + 5;
    const t = setTimeout(() => {
      this.timers.delete(`${jobId}/${round}`);
      this.schedule(jobId, round);
    }, delay);
    t.unref();
    this.timers.set(`${jobId}/${round}`, t);
  }

  private clear(jobId: string, round: number): void {
    const key = `${jobId}/${round}`;
    const t = this.timers.get(key);
    if (t) clearTimeout(t);
    this.timers.delete(key);
  }
}
