import {
  CONTRIBUTOR_SET_DOMAIN,
  ROUND_SPEC_DOMAIN,
  contributorSetSigningPayload,
  roundSpecHash,
  roundSpecSigningPayload,
  signCanonical,
  type ContributionRef,
  type JobRoundSpec,
} from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import type { JobRecord, RoundRecord } from '../store/index.ts';

/**
 * The coordinator's signatures that bind a round (docs/federation-protocol.md "Bound round
 * specs", "Decrypt once"): the hash of the full spec each node is sent, and the closed set of
 * contributions the aggregate sums.
 */
/** The full spec of a round as every participant is sent it in its job_round task. */
export function roundSpecOf(job: JobRecord, r: RoundRecord): JobRoundSpec {
  return {
    name: r.query.name,
    query: r.query,
    minNodes: job.spec.minNodes,
    noise: job.spec.noise,
    mechanism: job.spec.mechanism,
    delta: job.spec.delta,
    deadline: new Date(r.deadlineAt).toISOString(),
  };
}

/** `roundSpecHash` of the round's spec: what each submission and refusal must name. */
export function roundSpecHashOf(job: JobRecord, r: RoundRecord): string {
  return roundSpecHash(roundSpecOf(job, r));
}

export function signedSpec(
  ctx: Ctx,
  jobId: string,
  round: number,
  spec: JobRoundSpec
): { specHash: string; specSignature: string } {
  const specHash = roundSpecHash(spec);
  const specSignature = signCanonical(
    ROUND_SPEC_DOMAIN,
    roundSpecSigningPayload({ jobId, round, specHash }),
    ctx.coordinatorKey.secretKey
  );
  return { specHash, specSignature };
}

/** The set is signed under the contributors' spec hash (all equal for an honest round). */
export function signedSet(
  ctx: Ctx,
  jobId: string,
  round: number,
  contributions: ContributionRef[]
): { specHash: string; contributorSetSignature: string } {
  const specHash = contributions[0]?.specHash ?? '';
  const contributorSetSignature = signCanonical(
    CONTRIBUTOR_SET_DOMAIN,
    contributorSetSigningPayload({ jobId, round, specHash, contributions }),
    ctx.coordinatorKey.secretKey
  );
  return { specHash, contributorSetSignature };
}
