import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import {
  epsilonToMicro,
  normaliseEmail,
  overlapNoiseBound,
  type JobResult,
  type JobSpecInput,
} from '@fedmark/protocol';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { runFedmark } from '../packages/coordinator/src/simulate/processes.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';
import { listLedger } from '../packages/node/src/ledger/index.ts';
import { CaptureProxy } from './support/capture-proxy.ts';
import {
  cdnowEmail,
  sharedCount,
  writeOverlapViews,
  type OverlapView,
} from './support/overlap-views.ts';

/**
 * Overlap jobs end to end (docs/overlap.md) over overlapping views of the real CDNOW log, with
 * real node and coordinator processes: without noise (test-only switch) each pairwise figure is
 * the exact number of consenting customers both nodes hold; with noise it stays within the
 * truncation bound and both nodes of each pair record and pay for it; an erased customer drops
 * out of the next match; and nothing that identifies a customer (e-mail, its normal form or
 * hash, customer id) appears in what left any node.
 */
const NAMES = ['bank', 'retail', 'telecom'] as const;
const MAX_ID = 3000;
const overlapSpec = (noise: 'on' | 'off-test-only'): JobSpecInput => ({
  version: 1,
  kind: 'overlap',
  name: `shared customers (${noise})`,
  noise,
  overlap: { matchingKey: 'email', purpose: 'analytics', epsilon: 1 },
});

const pairKey = (r: JobResult['overlap']) =>
  Object.fromEntries((r?.pairs ?? []).map((p) => [p.nodes.join('+'), p]));

describe('overlap job: DP pairwise shared-customer counts', () => {
  let workdir: string;
  let fed: LocalFederation;
  let views: OverlapView[];
  const proxies = new Map<string, CaptureProxy>();
  let exact: JobResult;
  let noisy: JobResult;
  let afterErasure: JobResult;
  const erased: number[] = [];

  const run = async (spec: JobSpecInput) => {
    const jobId = await fed.operator.createJob(spec);
    await fed.operator.waitForJob(jobId, { timeoutMs: 180_000 });
    return fed.operator.result(jobId);
  };

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-overlap-'));
    views = writeOverlapViews(join(workdir, 'data'), NAMES, MAX_ID);
    for (const name of NAMES) {
      const proxy = new CaptureProxy(() => fed.coordinatorUrl);
      await proxy.start();
      proxies.set(name, proxy);
    }
    fed = new LocalFederation({
      workdir,
      allowNoiseOff: true,
      insecureHttp: true,
      coordinatorUrlFor: (name) => proxies.get(name)!.url,
      policyPatch: {
        allowedKinds: ['segment_stats', 'train', 'overlap'],
        matching: [{ kind: 'email', column: 'email' }],
        // Three jobs of two pairs a node at epsilon 1: 6 in a month, above the defaults.
        budgets: [{ purpose: 'analytics', period: 'month', epsilon: 10 }],
        personBudgets: [{ period: 'month', epsilon: 10 }],
      },
      nodes: views.map((v) => ({
        name: v.name,
        data: {
          files: [
            { kind: 'customers' as const, path: v.customers },
            { kind: 'events' as const, path: v.events },
            { kind: 'consents' as const, path: v.consents },
          ],
          lawfulBasis: [],
        },
      })),
    });
    await fed.start();
    exact = await run(overlapSpec('off-test-only'));
    noisy = await run(overlapSpec('on'));
    // Erase five customers bank and retail share (CDNOW ids 1 mod 4, consenting at both).
    for (const n of [...views[0]!.consenting]
      .filter((n) => views[1]!.consenting.has(n) && n % 4 === 1)
      .slice(0, 5)) {
      await runFedmark(['node', 'erase', '--dir', fed.node('bank').dir, '--customer', `bank-${n}`]);
      erased.push(n);
    }
    afterErasure = await run(overlapSpec('off-test-only'));
  }, 600_000);

  afterAll(async () => {
    await fed?.stop();
    for (const p of proxies.values()) await p.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('without noise, every pair equals the pooled count of consenting shared customers', () => {
    expect(exact.status).toBe('published');
    const pairs = pairKey(exact.overlap);
    const [bank, retail, telecom] = views as [OverlapView, OverlapView, OverlapView];
    const expected = {
      'bank+retail': sharedCount(bank, retail),
      'bank+telecom': sharedCount(bank, telecom),
      'retail+telecom': sharedCount(retail, telecom),
    };
    // Positive control: the views overlap, and consent (revoked at retail) matters.
    expect(expected['bank+telecom']).toBeGreaterThan(1000);
    expect(expected['bank+retail']).toBeLessThan(expected['bank+telecom']);
    for (const [k, n] of Object.entries(expected)) {
      expect(pairs[k]).toMatchObject({ status: 'published', raw: n, estimate: n, noiseStd: 0 });
    }
  });

  it('with noise, each figure stays within the truncation bound and reports its noise', () => {
    expect(noisy.status).toBe('published');
    const bound = overlapNoiseBound(epsilonToMicro(1));
    const exactPairs = pairKey(exact.overlap);
    const deviations: number[] = [];
    for (const p of noisy.overlap!.pairs) {
      const truth = exactPairs[p.nodes.join('+')]!.raw!;
      expect(p.status).toBe('published');
      expect(Math.abs(p.raw! - truth)).toBeLessThanOrEqual(bound);
      deviations.push(p.raw! - truth);
      expect(p.noiseStd).toBeGreaterThan(1);
      expect(p.delta).toBeGreaterThan(0);
      expect(p.delta).toBeLessThanOrEqual(1e-10);
      expect(p.ci95![0]).toBeLessThan(p.raw!);
      expect(p.ci95![1]).toBeGreaterThan(p.raw!);
    }
    // Three draws of std 1.36 are all 0 with probability 0.46^3 (about 0.1), so only their range
    // and integrality are checked here; their law is checked in node/src/overlap/overlap-noise.test.ts.
    expect(deviations.every((d) => Number.isInteger(d))).toBe(true);
  });

  it('both nodes of every pair record the release in their ledger and pay epsilon for it', () => {
    for (const name of NAMES) {
      const db = openNodeDatabase(fed.node(name).dir);
      try {
        const releases = listLedger(db, { type: 'release', limit: 100 }).filter(
          (e) => e.body['kind'] === 'overlap' && e.body['jobId'] === noisy.jobId
        );
        // Each node is in two pairs: once initiator or responder in each.
        expect(releases.length).toBe(2);
        for (const e of releases) {
          expect(e.body['epsilonMicro']).toBe(1_000_000);
          expect(typeof e.body['unitsRoot']).toBe('string');
        }
        const charged = db
          .prepare(
            'SELECT COUNT(*) AS n, SUM(epsilon_micro) AS e FROM privacy_budget_charges WHERE job_id = ?'
          )
          .get(noisy.jobId) as { n: number; e: number };
        expect(charged).toEqual({ n: 2, e: 2_000_000 });
      } finally {
        db.close();
      }
    }
  });

  it('an erased customer is absent from every later match', () => {
    expect(erased.length).toBe(5);
    const before = pairKey(exact.overlap);
    const after = pairKey(afterErasure.overlap);
    expect(afterErasure.overlap!.pairs.map((p) => p.reason)).toEqual([null, null, null]);
    expect(after['bank+retail']!.raw).toBe(before['bank+retail']!.raw! - 5);
    expect(after['retail+telecom']!.raw).toBe(before['retail+telecom']!.raw);
  });

  it('no e-mail, normalised key, key hash or customer id leaves a node', () => {
    for (const [v, name] of NAMES.entries()) {
      const sent = proxies.get(name)!.sentText();
      const messages = proxies.get(name)!.exchanges.filter((e) => e.url.includes('/overlap/'));
      expect(messages.length).toBeGreaterThanOrEqual(4);
      const ids = [...views[v]!.consenting].slice(0, 200);
      const needles = ids.flatMap((n) => {
        const key = normaliseEmail(cdnowEmail(n));
        return [
          key,
          key.toUpperCase(),
          createHash('sha256').update(key).digest('hex'),
          `${name}-${n},`,
          `"${name}-${n}"`,
        ];
      });
      expect(needles.filter((s) => sent.includes(s))).toEqual([]);
      // Positive control: the proxy saw the overlap traffic, sealed chunks included.
      expect(sent).toContain('"sealedHashes"');
    }
  });
});
