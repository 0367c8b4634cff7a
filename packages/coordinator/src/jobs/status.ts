import {
  ProtocolError,
  type JobListResponse,
  type JobResult,
  type JobStatus,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';
import { latestModel } from './train-publication.ts';
import { clvModelOf } from './clv-publication.ts';
import { exclusionsOf, roundParticipants } from './exclusions.ts';
import { findOverlapJob, overlapResult, overlapStatus } from '../overlap/result.ts';

function jobOr404(ctx: Ctx, jobId: string): JobRecord {
  const job = ctx.store.jobs.getJob(jobId);
  if (!job) throw new ProtocolError('NOT_FOUND', `no job ${jobId}`);
  return job;
}

function roundView(ctx: Ctx, job: JobRecord, r: RoundRecord): JobStatus['rounds'][number] {
  const subs = new Set(ctx.store.jobs.submissions(job.id, r.round).map((s) => s.node));
  const refusals = new Map(ctx.store.jobs.refusals(job.id, r.round).map((x) => [x.node, x.reason]));
  const asked = new Set(roundParticipants(ctx.store.jobs, job, r.round));
  const decs = ctx.store.jobs.decryptions(job.id, r.round);
  const reference = decs[0]?.values.join();
  const stateOf = (name: string) =>
    subs.has(name)
      ? ('submitted' as const)
      : refusals.has(name)
        ? ('refused' as const)
        : asked.has(name)
          ? ('pending' as const)
          : ('excluded' as const);
  return {
    round: r.round,
    status: r.status,
    deadline: new Date(r.deadlineAt).toISOString(),
    closeReason: r.closeReason,
    nodes: job.participants.map((name) => ({
      name,
      state: stateOf(name),
      reason: refusals.get(name) ?? (asked.has(name) ? null : 'refused an earlier round'),
    })),
    decryptions: (r.decryptors ?? []).map((node) => {
      const d = decs.find((x) => x.node === node);
      return { node, agrees: d ? d.values.join() === reference : null };
    }),
  };
}

/**
 * Progress of a job: per round, per participant (pending / submitted / refused and why), and the
 * participants excluded by their refusals across rounds.
 */
export function jobStatus(ctx: Ctx, jobId: string): JobStatus {
  const overlap = findOverlapJob(ctx, jobId);
  if (overlap) return overlapStatus(ctx, overlap);
  const job = jobOr404(ctx, jobId);
  return {
    version: 1,
    jobId: job.id,
    name: job.name,
    kind: job.kind,
    status: job.status,
    createdAt: job.createdAt,
    keyId: job.keyId,
    minNodes: job.spec.minNodes,
    participants: job.participants,
    rounds: ctx.store.jobs.rounds(job.id).map((r) => roundView(ctx, job, r)),
    excluded: exclusionsOf(ctx.store.jobs, job),
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

/** Published rounds of a job (all of them once the job is published), or its failure. */
export function jobResult(ctx: Ctx, jobId: string): JobResult {
  const overlap = findOverlapJob(ctx, jobId);
  if (overlap) return overlapResult(ctx, overlap);
  const job = jobOr404(ctx, jobId);
  const rounds = ctx.store.jobs.rounds(job.id).flatMap((r) => (r.result ? [r.result] : []));
  const model = job.kind === 'train' ? latestModel(rounds) : undefined;
  const clvModel = job.kind === 'clv' ? clvModelOf(rounds) : undefined;
  return {
    version: 1,
    jobId: job.id,
    name: job.name,
    kind: job.kind,
    status: job.status,
    rounds,
    ...(job.rfmMeans ? { rfmMeans: job.rfmMeans } : {}),
    ...(model ? { model } : {}),
    ...(clvModel ? { clvModel } : {}),
    excluded: exclusionsOf(ctx.store.jobs, job),
    ...(job.failure ? { failure: job.failure } : {}),
  };
}

export function jobList(ctx: Ctx): JobListResponse {
  return {
    version: 1,
    jobs: [
      ...ctx.store.jobs.listJobs(),
      ...ctx.store.overlaps.listJobs().map((j) => findOverlapJob(ctx, j.id) ?? j),
    ]
      .map((j) => ({
        jobId: j.id,
        name: j.name,
        kind: 'kind' in j ? j.kind : ('overlap' as const),
        status: j.status,
        createdAt: j.createdAt,
      }))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0)),
  };
}
