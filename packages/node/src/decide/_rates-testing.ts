/** Internal test helper: a published channel x hour-of-week result as `fedmark job result --json` prints it. */

/** A JobResult whose round 0 has a mean:responded cell per (channel, hour label). */
export function channelHourResult(
  means: { channel: string; hour: string; rate: number; unreliable?: boolean }[]
): unknown {
  const cells = means.map((m) => ({
    labels: [m.channel, m.hour],
    block: 'mean:responded',
    estimate: m.rate,
    noiseStd: 0.01,
    ci95: [m.rate - 0.02, m.rate + 0.02],
    unreliable: m.unreliable ?? false,
    reason: null,
  }));
  return {
    version: 1,
    jobId: 'j-channel-hour',
    name: 'response by channel x hour',
    kind: 'segment_stats',
    status: 'published',
    rounds: [
      {
        version: 1,
        jobId: 'j-channel-hour',
        round: 0,
        name: 'response by channel x hour',
        layoutHash: 'ab'.repeat(32),
        contributingNodes: ['bank', 'retail', 'telco'],
        epsilonPerNode: 1,
        noise: 'on',
        values: ['0'],
        noiseVariance: [0],
        cells,
        interpretation: { dimensions: ['channel', 'hour_of_week'] },
        notes: [],
        publishedAt: '2025-06-01T00:00:00.000Z',
      },
    ],
  };
}
