import { beforeAll, describe, expect, it } from 'vitest';
import {
  SUBMISSION_DOMAIN,
  applyCorrection,
  layoutOf,
  signCanonical,
  submissionSigningPayload,
  type JobRoundSpec,
  type Submission,
} from '@fedmark/protocol';
import { regionQuery } from '../_testing/region-release.ts';
import { type UnitSource } from '../analytics/index.ts';
import { loadIdentity } from '../identity/index.ts';
import {
  TEST_MODULUS,
  createTestNetwork,
  onePurchaseEach,
  type TestNetwork,
} from './_test-network.ts';

/**
 * The two attacks of docs/architecture.md §3 that a dishonest coordinator could run alone:
 * differencing two decryptions of one round, and sending different round specs to different
 * nodes under one layout. Rounds run secure aggregation (docs/secure-aggregation.md): what a
 * node decrypts is the masked sum, and the unmask correction turns it into the plain sum.
 */
const NAMES = ['a', 'b', 'c', 'd'] as const;
let net: TestNetwork;
const query = regionQuery(0.5);
const layout = layoutOf(query);
/** One deadline for every spec of a round: it is part of the hashed spec. */
const DEADLINE = new Date(Date.now() + 600_000).toISOString();

/** n north customers with one purchase each, 2 south (under k = 10: suppressed). */
function sourceFor(node: string): UnitSource {
  const north = { a: 11, b: 20, c: 13, d: 15 }[node] as number;
  const ids = [
    ...Array.from({ length: north }, (_, i) => `${node}-N${i}`),
    `${node}-S0`,
    `${node}-S1`,
  ];
  return onePurchaseEach(ids, (customerId) => (customerId.includes('-S') ? 'south' : 'north'));
}

function spec(q = query): JobRoundSpec {
  return {
    name: 'regions',
    query: q,
    minNodes: 3,
    noise: 'off-test-only',
    mechanism: 'local-laplace',
    delta: 1e-7,
    deadline: DEADLINE,
  };
}

const run = (node: string) => net.run(node);
const failures = (node: string) => net.failures(node);
const ledger = (node: string, type: 'decryption' | 'decryption_refused') => net.ledger(node, type);

beforeAll(async () => {
  net = await createTestNetwork({ prefix: 'fed-decrypt-', names: NAMES, sourceFor });
}, 60_000);

describe('decryption: once per round, over a closed signed set', () => {
  it('refuses a second decryption of the round over another set (differencing), and ledgers both', async () => {
    const { coord } = net;
    const subs = await net.submitAll('job-diff', () => spec());
    const [a, b, c, d] = subs as [Submission, Submission, Submission, Submission];
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', subs, await net.aggregateOf(subs)));
    await run('b');
    const rest = [b, c, d];
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', rest, await net.aggregateOf(rest)));
    await run('b');
    const answers = coord.decryptions.filter((x) => x.jobId === 'job-diff' && x.node === 'b');
    // Without the rule both answers came back, and the coordinator could difference them.
    expect(answers).toHaveLength(1);
    // What b decrypted is the masked sum: the survivors' unmask answers turn it into the sum.
    const sets = { survivors: [...NAMES], dropped: [] };
    await net.unmaskAll('job-diff', sets);
    const correction = await coord.correction('job-diff', 0, sets, layout.length, TEST_MODULUS);
    const masked = (answers[0]?.values ?? []).map((v) => BigInt(v));
    expect(masked.slice(0, 4)).not.toEqual([59n, 0n, 0n, 67n]);
    expect(applyCorrection(masked, correction, TEST_MODULUS).slice(0, 4)).toEqual([
      59n,
      0n,
      0n,
      67n,
    ]);
    expect(net.releaseOf('a', 'job-diff').slice(0, 4)).toEqual([11n, 0n, 0n, 13n]);
    expect(failures('b')).toEqual([
      'CONFLICT: decrypt job-diff/0: this node already decrypted this round for contributors a, b, c, d; refusing another set (b, c, d)',
    ]);
    expect(ledger('b', 'decryption')).toEqual([
      {
        jobId: 'job-diff',
        round: 0,
        setHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        contributors: ['a', 'b', 'c', 'd'],
      },
    ]);
    expect(ledger('b', 'decryption_refused')).toEqual([
      {
        jobId: 'job-diff',
        round: 0,
        setHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        contributors: ['b', 'c', 'd'],
        decryptedSetHash: ledger('b', 'decryption')[0]?.['setHash'],
      },
    ]);
    expect(a.node).toBe('a');
  });

  it('answers the same set again with the stored answer, without a second decryption entry', async () => {
    const { coord } = net;
    const subs = NAMES.map(
      (n) => coord.submissions.find((s) => s.jobId === 'job-diff' && s.node === n) as Submission
    );
    const before = coord.decryptions.filter((x) => x.node === 'b').length;
    coord.addTask('b', coord.decryptTask('job-diff', 0, 'k1', subs, await net.aggregateOf(subs)));
    await run('b');
    const answers = coord.decryptions.filter((x) => x.jobId === 'job-diff' && x.node === 'b');
    expect(answers).toHaveLength(before + 1);
    expect(answers[1]?.signature).toBe(answers[0]?.signature);
    expect(ledger('b', 'decryption')).toHaveLength(1);
    expect(ledger('b', 'decryption_refused')).toHaveLength(1);
  });

  it('refuses a set whose signature is not the pinned coordinator key, or that leaves out its own submission', async () => {
    const { coord } = net;
    const subs = await net.submitAll('job-set', () => spec());
    const [a, b, , d] = subs as [Submission, Submission, Submission, Submission];
    const forged = coord.decryptTask('job-set', 0, 'k1', subs, await net.aggregateOf(subs));
    const sig = forged.contributorSetSignature;
    coord.tasks.set('c', [
      { ...forged, contributorSetSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) },
      coord.decryptTask('job-set', 0, 'k1', [a, b, d], await net.aggregateOf([a, b, d])),
    ]);
    await run('c');
    expect(failures('c')).toEqual([
      'INVALID_SIGNATURE: decrypt job-set/0: the contributor set is not signed by the pinned coordinator key',
      "FORBIDDEN: decrypt job-set/0: the contributor set leaves out this node's own submission",
    ]);
    expect(coord.decryptions.filter((x) => x.jobId === 'job-set')).toEqual([]);
    expect(ledger('c', 'decryption')).toEqual([]);
  });
});

describe('round specs: bound by hash and coordinator signature', () => {
  it('a node sent another asOf in the same round: no node masks with advertisements of two round specs', async () => {
    const { coord } = net;
    const other = spec({ ...query, asOf: '2026-10-15' });
    const subs = await net.submitAll('job-spec', (n) => (n === 'a' ? other : spec()));
    // Same layout for both specs: the layout hash alone does not tell them apart, but a's setup
    // names its spec hash, and every node refuses to mask with it.
    expect(subs).toEqual([undefined, undefined, undefined, undefined]);
    expect(
      coord.refusals.filter((r) => r.jobId === 'job-spec').map((r) => `${r.node}: ${r.reason}`)
    ).toEqual([
      'a: CONFLICT: secure aggregation job-spec/0: the advertisement of b is for another job, round or round spec',
      'b: CONFLICT: secure aggregation job-spec/0: the advertisement of a is for another job, round or round spec',
      'c: CONFLICT: secure aggregation job-spec/0: the advertisement of a is for another job, round or round spec',
      'd: CONFLICT: secure aggregation job-spec/0: the advertisement of a is for another job, round or round spec',
    ]);
    expect(net.releaseOf('b', 'job-spec')).toEqual([]);
  });

  it('refuses to decrypt a set holding a contribution made for another round spec', async () => {
    const { coord } = net;
    // b, c and d run the round; a's contribution is signed by a, for another spec (as a node that
    // was sent one would sign it).
    const subs = await net.submitAll('job-spec2', () => spec(), ['b', 'c', 'd']);
    const b = subs[0] as Submission;
    const { signature: _s, ciphertexts: _c, version: _v, ...meta } = b;
    const otherMeta = { ...meta, node: 'a', specHash: 'ee'.repeat(32) };
    const forged: Submission = {
      ...b,
      ...otherMeta,
      signature: signCanonical(
        SUBMISSION_DOMAIN,
        submissionSigningPayload(otherMeta),
        loadIdentity(net.dirs['a'] as string).signing.secretKey
      ),
    };
    const all = [forged, ...subs] as Submission[];
    coord.addTask(
      'b',
      coord.decryptTask('job-spec2', 0, 'k1', all, await net.aggregateOf(all), b.specHash)
    );
    await run('b');
    expect(coord.decryptions.filter((x) => x.jobId === 'job-spec2')).toEqual([]);
    expect(failures('b').at(-1)).toBe(
      "CONFLICT: decrypt job-spec2/0: the contribution of a was made for another round spec than this node's"
    );
  });

  it('refuses (signed refusal) a round whose spec hash or coordinator signature does not verify', async () => {
    const { coord } = net;
    const good = coord.roundTask('job-bad', 0, 'k1', spec());
    coord.tasks.set('c', [{ ...good, spec: { ...good.spec, minNodes: 4 } }]);
    await run('c');
    const sig = good.specSignature;
    coord.tasks.set('d', [{ ...good, specSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) }]);
    await run('d');
    expect(
      coord.refusals.filter((r) => r.jobId === 'job-bad').map((r) => [r.node, r.reason])
    ).toEqual([
      ['c', 'SPEC_MISMATCH: the round spec does not hash to the specHash the task names'],
      ['d', 'INVALID_SIGNATURE: the round spec is not signed by the pinned coordinator key'],
    ]);
    expect(coord.submissions.filter((s) => s.jobId === 'job-bad')).toEqual([]);
  });
});
