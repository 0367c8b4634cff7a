import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { admit, federation, fakeSealBlob, harness, json, testNode } from '../_testing.ts';
import { decideClose, phaseQuorum } from '../jobs/rounds.ts';

const [a, b, c] = [testNode('h1', 61), testNode('h2', 62), testNode('h3', 63)] as const;

/** Shared hostile-input corpus: every entry must be refused with a 4xx JSON error, never a 500. */
const HOSTILE_BODIES = [
  '',
  'null',
  '[]',
  '"text"',
  '{"version":1}',
  '{"version":2}',
  '{"__proto__":{"polluted":true},"version":1}',
  `{"version":1,"jobId":"${'x'.repeat(5000)}"}`,
  '{"version":1,"round":1e400}',
  '{"version":1,"ciphertexts":[{"$gt":""}]}',
  '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]',
  '{"version":1,',
  '\u0000\u0001\u0002',
];

describe('hostile input', () => {
  it('every node POST endpoint refuses every corpus entry with 4xx {error} and the server stays up', async () => {
    const h = harness();
    await federation(h, [a, b, c], fakeSealBlob(64));
    const { jobId } = await json(
      await h.op('POST', '/v1/jobs', {
        version: 1,
        kind: 'segment_stats',
        query: {
          version: 1,
          kind: 'segment_stats',
          purpose: 'analytics',
          asOf: '2026-01-01',
          epsilon: 1,
        },
      })
    );
    const paths = [
      '/v1/node/keys/k3',
      '/v1/node/keys/k3/ack',
      `/v1/node/jobs/${jobId}/rounds/0/submission`,
      `/v1/node/jobs/${jobId}/rounds/0/refusal`,
      `/v1/node/jobs/${jobId}/rounds/0/decryption`,
      `/v1/node/jobs/${jobId}/rounds/0/secagg/setup`,
      `/v1/node/jobs/${jobId}/rounds/0/secagg/unmask`,
      '/v1/node/jobs/nope/rounds/x/submission',
    ];
    for (const path of paths) {
      for (const body of HOSTILE_BODIES) {
        h.clock.now += 1;
        const res = await h.node(a, 'POST', path, undefined, body);
        expect(res.status, `${path} ${JSON.stringify(body.slice(0, 20))}`).toBeGreaterThanOrEqual(
          400
        );
        expect(res.status, `${path} ${JSON.stringify(body.slice(0, 20))}`).toBeLessThan(500);
        const err = (await res.json()).error;
        expect(typeof err.code).toBe('string');
        expect(typeof err.message).toBe('string');
      }
    }
    for (const body of HOSTILE_BODIES) {
      const res = await h.coordinator.app.request('/v1/enroll', { method: 'POST', body });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      const op = await h.op('POST', '/v1/jobs', undefined);
      expect(op.status).toBe(400);
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect((await h.node(b, 'GET', '/v1/node/tasks')).status).toBe(200);
    await admit(h, testNode('h4', 64));
    expect(h.store.keys.latest()?.keyId).toBe('k4');
  });

  it('closing rules never close below minNodes and never wait past the deadline (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            min: fc.integer({ min: 3, max: n }),
            submitted: fc.integer({ min: 0, max: n }),
            refusedShare: fc.integer({ min: 0, max: n }),
            quorumAt: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: null }),
            wait: fc.integer({ min: 0, max: 3000 }),
            now: fc.integer({ min: 0, max: 4000 }),
          })
        ),
        ({ n, min, submitted, refusedShare, quorumAt, wait, now }) => {
          const refused = Math.min(refusedShare, n - submitted);
          // A phase expecting n answers and needing min of them (setup: participants, input: advertisers).
          const quorum = { expected: n, min, stragglerWaitMs: wait };
          const round = {
            deadlineAt: 3000,
            quorumAt: submitted >= min ? (quorumAt ?? 0) : null,
          } as never;
          const d = decideClose(quorum, round, submitted, refused, now);
          if (d.action === 'close') expect(submitted).toBeGreaterThanOrEqual(min);
          if (d.action === 'fail') expect(submitted < min).toBe(true);
          if (d.action === 'wait') {
            expect(now).toBeLessThan(3000);
            expect(d.wakeAt).not.toBeNull();
            expect(d.wakeAt as number).toBeLessThanOrEqual(3000);
          }
          if (submitted + refused === n) expect(d.action).not.toBe('wait');
        }
      ),
      { numRuns: 500 }
    );
  });

  it("each phase's quorum is the secure-aggregation threshold: at least minNodes, a strict majority of participants (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 12 }).chain((n) =>
          fc.record({
            n: fc.constant(n),
            minNodes: fc.integer({ min: 3, max: n }),
            advertised: fc.integer({ min: 0, max: n }),
            wait: fc.integer({ min: 0, max: 3000 }),
          })
        ),
        ({ n, minNodes, advertised, wait }) => {
          const job = {
            participants: Array.from({ length: n }, (_, i) => `p${i}`),
            spec: { minNodes, stragglerWaitMs: wait },
          } as never;
          const adverts = Array.from({ length: advertised }, (_, i) => ({ node: `p${i}` }));
          const setup = phaseQuorum(job, { status: 'setup', secagg: null } as never);
          const input = phaseQuorum(job, { status: 'open', secagg: { adverts } } as never);
          // Setup waits for every participant, masked input for the nodes whose setups it closed with.
          expect(setup.expected).toBe(n);
          expect(input.expected).toBe(advertised);
          for (const q of [setup, input]) {
            expect(q.min).toBeGreaterThanOrEqual(minNodes);
            expect(2 * q.min).toBeGreaterThan(n);
            expect(q.stragglerWaitMs).toBe(wait);
          }
          expect(input.min).toBe(setup.min);
        }
      ),
      { numRuns: 200 }
    );
  });
});
