import { secaggThreshold } from '@fedmark/protocol';
import type { JobRecord } from '../store/index.ts';

/**
 * The secure-aggregation threshold of a job's rounds (docs/secure-aggregation.md "Shares"): a
 * strict majority of its participants, at least minNodes. Its own module because both the
 * submission checks and the secure-aggregation phases need it.
 */
export function thresholdOf(job: JobRecord): number {
  return secaggThreshold(job.participants.length, job.spec.minNodes);
}
