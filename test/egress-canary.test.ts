import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalFederation } from '../packages/coordinator/src/simulate/federation.ts';
import { defaultJobs } from '../packages/coordinator/src/simulate/default-jobs.ts';
import { runFedmark } from '../packages/coordinator/src/simulate/processes.ts';
import { CaptureProxy } from './support/capture-proxy.ts';

/**
 * Egress canary (docs/architecture.md §8): a full federation run with canary customers whose ids
 * and values are distinctive; every byte each node sends to the coordinator goes through a
 * capturing proxy.
 * No canary, no raw id and no un-noised statistic may appear in what left the nodes.
 */
const NODES = ['retail-a', 'bank-b', 'telecom-c'] as const;
const PROFILES = ['retail', 'bank', 'telecom'] as const;
const canaryId = (i: number) => `CANARYZ${i}Q`;
const CANARY_AMOUNT = '98765.43';
const CANARY_CATEGORY = 'zqcanarycatzq';
/** What the submission body may carry in clear besides the ciphertexts (docs/federation-protocol.md). */
const SUBMISSION_KEYS = [
  'ciphertextHashes',
  'ciphertexts',
  'enforced',
  'jobId',
  'keyId',
  'layoutHash',
  'node',
  'round',
  'signature',
  // The hash of the round spec the coordinator sent (docs/federation-protocol.md "Bound round
  // specs"): a function of the public spec only, nothing of the node's data.
  'specHash',
  'version',
];

describe('egress canary: nothing but signed ciphertexts and metadata leaves a node', () => {
  let workdir: string;
  let fed: LocalFederation;
  const proxies = new Map<string, CaptureProxy>();
  const rawIds = new Map<string, string[]>();
  const exactRows = new Map<string, number>();
  let statuses: string[] = [];
  let rounds = 0;

  beforeAll(async () => {
    workdir = mkdtempSync(join(tmpdir(), 'fedmark-egress-'));
    const nodes = [];
    for (const [i, name] of NODES.entries()) {
      const dataDir = join(workdir, 'data', name);
      await runFedmark([
        'node',
        'synth',
        '--dir',
        dataDir,
        '--profile',
        PROFILES[i]!,
        '--customers',
        '1500',
        '--seed',
        `egress-${i}`,
      ]);
      // Canary customers: distinctive ids, a distinctive amount and category, high activity.
      appendFileSync(
        join(dataDir, 'events.csv'),
        Array.from(
          { length: 40 },
          (_, k) =>
            `${canaryId(i)},2025-12-${String(1 + (k % 28)).padStart(2, '0')},purchase,${CANARY_AMOUNT},web,${CANARY_CATEGORY}\n`
        ).join('')
      );
      const ids = readFileSync(join(dataDir, 'customers.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]!);
      // The canary in the feature table the train job reads, with the distinctive amount as its
      // average order value (columns as `node synth` writes churn.csv, docs/node-data.md).
      appendFileSync(
        join(dataDir, 'churn.csv'),
        `${canaryId(i)},400,40,3,${CANARY_AMOUNT},12,web,No\n`
      );
      rawIds.set(name, ids.slice(0, 300));
      exactRows.set(name, ids.length + 1);
      const proxy = new CaptureProxy(() => fed.coordinatorUrl);
      await proxy.start();
      proxies.set(name, proxy);
      nodes.push({
        name,
        data: {
          files: [
            ...(['customers', 'events', 'touches'] as const).map((kind) => ({
              kind,
              path: join(dataDir, `${kind}.csv`),
            })),
            { kind: 'table' as const, table: 'churn', path: join(dataDir, 'churn.csv') },
          ],
          lawfulBasis: ['analytics=contract', 'model_training=contract'],
        },
      });
    }
    fed = new LocalFederation({
      workdir,
      nodes,
      coordinatorUrlFor: (name) => proxies.get(name)!.url,
      // The proxy reads the application bytes, so this federation runs plain HTTP on loopback
      // (start --insecure-http); test/tls.test.ts checks that by default nothing is readable.
      insecureHttp: true,
    });
    await fed.start();
    // Every default job of the demo: RFM, lifecycle x NES, the A/B test, the response rates by
    // channel x time of week and the churn model.
    for (const spec of defaultJobs('2026-01-01', 0.5)) {
      const jobId = await fed.operator.createJob({ ...spec, stragglerWaitMs: 0 });
      const final = await fed.operator.waitForJob(jobId, { timeoutMs: 120_000 });
      statuses.push(`${spec.kind} ${final.status}`);
      rounds += final.rounds.length;
    }
  }, 300_000);

  afterAll(async () => {
    await fed?.stop();
    for (const p of proxies.values()) await p.stop();
    rmSync(workdir, { recursive: true, force: true });
  });

  it('ran the jobs to publication through the proxies', () => {
    expect(statuses).toEqual([
      'rfm published',
      'segment_stats published',
      'segment_stats published',
      'segment_stats published',
      'train published',
    ]);
    // rfm rounds 0 and 1, lifecycle x NES, the A/B test, the rates, the train job's rounds
    expect(rounds).toBeGreaterThanOrEqual(9);
    for (const name of NODES) {
      const submissions = proxies
        .get(name)!
        .exchanges.filter((e) => e.method === 'POST' && e.url.endsWith('/submission'));
      expect(submissions.length).toBe(rounds);
    }
  });

  it("positive control: the canaries and raw ids are really in each node's own database", () => {
    for (const [i, name] of NODES.entries()) {
      // The node process is running, so recent pages may still sit in the WAL file.
      const file = (f: string) =>
        existsSync(join(fed.node(name).dir, f))
          ? readFileSync(join(fed.node(name).dir, f)).toString('latin1')
          : '';
      const db = file('node.db') + file('node.db-wal');
      expect(db).toContain(canaryId(i));
      expect(db).toContain(CANARY_CATEGORY);
      expect(rawIds.get(name)!.length).toBe(300);
      expect(db).toContain(rawIds.get(name)![0]!);
    }
  });

  it('sends no canary id, amount or category', () => {
    for (const [i, name] of NODES.entries()) {
      const sent = proxies.get(name)!.sentText();
      expect(sent.length).toBeGreaterThan(100_000);
      for (const needle of [canaryId(i), CANARY_AMOUNT, '9876543', CANARY_CATEGORY])
        expect(sent).not.toContain(needle);
    }
  });

  it('sends no raw customer id', () => {
    for (const name of NODES) {
      const sent = proxies.get(name)!.sentText();
      const leaked = rawIds
        .get(name)!
        .filter(
          (id) => sent.includes(`"${id}"`) || sent.includes(`,${id},`) || sent.includes(`/${id}`)
        );
      expect(leaked).toEqual([]);
    }
  });

  it('keeps counts and sums inside the ciphertext: the clear metadata has only the agreed fields', () => {
    for (const name of NODES) {
      for (const e of proxies.get(name)!.exchanges.filter((x) => x.url.endsWith('/submission'))) {
        // Submissions travel gzip-compressed; the canary reads them inflated (capture-proxy.ts).
        expect(e.requestHeaders['content-encoding']).toBe('gzip');
        expect(e.requestBody.length).toBeLessThan(e.requestText.length * 0.8);
        const body = JSON.parse(e.requestText) as Record<string, unknown>;
        expect(Object.keys(body).sort()).toEqual(SUBMISSION_KEYS);
        const { ciphertexts: _c, ...clear } = body;
        // The node's exact record count must not be anywhere in the clear part.
        expect(JSON.stringify(clear)).not.toMatch(new RegExp(`\\b${exactRows.get(name)}\\b`));
        expect(Object.keys(body['enforced'] as object).sort()).toEqual([
          'epsilon',
          'minCohort',
          'noise',
        ]);
      }
    }
  });
});
