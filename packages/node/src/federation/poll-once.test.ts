import { join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { readFileSync } from 'node:fs';
import { layoutOf, type JobRoundSpec, type Submission } from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { type UnitSource } from '../analytics/index.ts';
import { runAgent } from './agent.ts';
import { createTestNetwork, onePurchaseEach, type TestNetwork } from './_test-network.ts';

// A spy on the one function that reads a key file: how often a node parses its HE secret key.
vi.mock('node:fs', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs')>();
  const spy = vi.fn(fs.readFileSync);
  return { ...fs, default: { ...fs, readFileSync: spy }, readFileSync: spy };
});

/**
 * What a node fetches and parses per round (docs/scale.md "Cheap federation"): the aggregate
 * once per decryptor and round, its HE key file once per process.
 */
const NAMES = ['a', 'b', 'c'] as const;
const query = regionQuery(0.5);
const layout = layoutOf(query);
const DEADLINE = new Date(Date.now() + 600_000).toISOString();
let net: TestNetwork;

function sourceFor(node: string): UnitSource {
  const north = { a: 11, b: 20, c: 13 }[node] as number;
  const ids = Array.from({ length: north }, (_, i) => `${node}-N${i}`);
  return onePurchaseEach(ids, () => 'north');
}

const spec = (): JobRoundSpec => ({
  name: 'regions',
  query,
  minNodes: 3,
  noise: 'off-test-only',
  mechanism: 'local-laplace',
  delta: 1e-7,
  deadline: DEADLINE,
});

/** `node`'s agent for `polls` polls against the fake coordinator. */
async function agent(node: string, polls: number): Promise<void> {
  await runAgent({
    dir: net.dirs[node] as string,
    coordinatorUrl: 'http://coordinator.test:7600',
    fetch: net.coord.fetch,
    source: () => sourceFor(node),
    maxPolls: polls,
    pollMs: 1,
    backoffMs: 1,
    log: (event, detail) => net.logs.push({ node, event, detail: detail ?? {} }),
  });
}

/** Task answers to `node` that carried the aggregate (its first ciphertext), from index `from`. */
function downloads(node: string, aggregate: string[], from = 0): number {
  return net.coord.taskAnswers
    .slice(from)
    .filter((x) => x.node === node && x.status === 200 && x.body.includes(aggregate[0] as string))
    .length;
}

const keyFileReads = (node: string) =>
  vi
    .mocked(readFileSync)
    .mock.calls.filter((c) => String(c[0]) === join(net.dirs[node] as string, 'he-keys', 'k1.json'))
    .length;

let subs: Submission[];
let aggregate: string[];

beforeAll(async () => {
  net = await createTestNetwork({ prefix: 'fed-poll-once-', names: NAMES, sourceFor });
  subs = await net.submitAll('job-1', spec);
  await net.unmaskAll('job-1', { survivors: [...NAMES], dropped: [] });
  aggregate = await net.aggregateOf(subs);
}, 60_000);

describe('a decryptor per round', () => {
  it('downloads the aggregate once and decrypts once, however many polls it makes', async () => {
    const from = net.coord.taskAnswers.length;
    net.coord.addTask('b', net.coord.decryptTask('job-1', 0, 'k1', subs, aggregate));
    await agent('b', 4);
    expect(net.coord.decryptions.filter((d) => d.node === 'b')).toHaveLength(1);
    expect(net.coord.decryptions[0]?.values).toHaveLength(layout.length);
    expect(downloads('b', aggregate, from)).toBe(1);
  });

  it('is not sent again a decrypt task it refused for good, while the task stays listed', async () => {
    const from = net.coord.taskAnswers.length;
    // Two contributions: under minNodes 3, refused (QUORUM_NOT_MET), and the fake keeps listing it.
    net.coord.addTask('c', net.coord.decryptTask('job-1', 0, 'k1', subs.slice(0, 2), aggregate));
    await agent('c', 5);
    expect(net.failures('c').some((f) => f.startsWith('QUORUM_NOT_MET'))).toBe(true);
    const answers = net.coord.taskAnswers.slice(from).filter((x) => x.node === 'c');
    expect(answers.map((x) => x.status)).toEqual([200, 304, 304, 304, 304]);
    expect(downloads('c', aggregate, from)).toBe(1);
  });

  it('reads and parses its HE key file once in the process: setup, masked input, unmask and decryption', () => {
    // b used its key for the setup, the masked input, the unmask answer, the pinned-members
    // check of each and the decryption: one read of the file.
    expect(keyFileReads('b')).toBe(1);
    expect(keyFileReads('a')).toBe(1);
  });
});
