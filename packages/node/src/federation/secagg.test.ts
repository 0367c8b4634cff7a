import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  SegmentQuerySchema,
  applyCorrection,
  bytesToHex,
  checkSets,
  fromBase64,
  layoutOf,
  secaggSetsHash,
  toBase64,
  type JobRoundSpec,
  type Submission,
} from '@fedmark/protocol';
import { type UnitSource } from '../analytics/index.ts';
import { loadHe, loadHeKey } from '../crypto/index.ts';
import { openNodeDatabase } from '../store/index.ts';
import { getSecagg } from './secagg-store.ts';
import {
  TEST_HE_PARAMS,
  TEST_MODULUS,
  createTestNetwork,
  onePurchaseEach,
  type TestNetwork,
} from './_test-network.ts';

/**
 * The node's side of secure aggregation (docs/secure-aggregation.md "Round phases"), against a
 * coordinator that tries what a dishonest one would: forged advertisements, a weak threshold,
 * two different unmask requests for one round, a node named both survivor and dropped.
 */
const NAMES = ['a', 'b', 'c', 'd'] as const;
let net: TestNetwork;
const DEADLINE = new Date(Date.now() + 600_000).toISOString();

/**
 * 1,000 declared regions (2,003 slots: counts, total, spend sums), of which each node's
 * customers use two: a released vector that is almost all zeros, as far from uniform as it gets.
 */
const WIDE = SegmentQuerySchema.parse({
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2026-11-01',
  epsilon: 0.5,
  dimensions: [
    {
      field: 'attr.region',
      categories: ['north', 'south', ...Array.from({ length: 998 }, (_, i) => `r${i}`)],
    },
  ],
  measures: [{ field: 'monetary', lower: 0, upper: 100 }],
});
const layout = layoutOf(WIDE);

function sourceFor(node: string): UnitSource {
  const north = { a: 11, b: 20, c: 13, d: 15 }[node] as number;
  const ids = [...Array.from({ length: north }, (_, i) => `${node}-N${i}`), `${node}-S0`];
  return onePurchaseEach(ids, (customerId) => (customerId.includes('-S') ? 'south' : 'north'));
}

const spec = (): JobRoundSpec => ({
  name: 'wide',
  query: WIDE,
  minNodes: 3,
  noise: 'off-test-only',
  mechanism: 'local-laplace',
  delta: 1e-7,
  deadline: DEADLINE,
});

const posts = (node: string, suffix: string) =>
  net.coord.requests.filter(
    (r) => r.node === node && r.method === 'POST' && r.path.endsWith(suffix)
  );

function stored(node: string, jobId: string) {
  const db = openNodeDatabase(net.dirs[node] as string);
  try {
    return getSecagg(db, jobId, 0);
  } finally {
    db.close();
  }
}

/** The raw secret columns of a node's round row: what erasure must set to NULL. */
function secretColumns(node: string, jobId: string): unknown[] {
  const db = openNodeDatabase(net.dirs[node] as string);
  try {
    const row = db
      .prepare('SELECT self_secret, mask_secret_key FROM fed_secagg WHERE job_id = ? AND round = 0')
      .get(jobId) as { self_secret: unknown; mask_secret_key: unknown };
    return [row.self_secret, row.mask_secret_key];
  } finally {
    db.close();
  }
}

/** Pearson chi-square of the top 4 bits (16 equal buckets of Z_t) of values in [0, t). */
function chiSquare16(values: readonly bigint[], t: bigint): number {
  const counts = new Array<number>(16).fill(0);
  for (const v of values) {
    const u = ((v % t) + t) % t;
    counts[Number((u * 16n) / t)] = (counts[Number((u * 16n) / t)] as number) + 1;
  }
  const e = values.length / 16;
  return counts.reduce((s, o) => s + (o - e) ** 2 / e, 0);
}
/** 15 degrees of freedom: P(chi2 > 50) is about 1e-5; generous, so a fair mask never flakes. */
const CHI2_LIMIT = 50;

beforeAll(async () => {
  net = await createTestNetwork({ prefix: 'fed-secagg-', names: NAMES, sourceFor });
}, 60_000);

describe('secure aggregation on the node: a whole round', () => {
  it('sets up, masks, unmasks and decrypts: the correction gives the exact sum of the releases', async () => {
    const { coord } = net;
    const subs = await net.submitAll('job-sum', spec);
    expect(subs.map((s) => s?.node)).toEqual(['a', 'b', 'c', 'd']);
    expect(net.ledger('a', 'secagg_setup')).toEqual([
      { jobId: 'job-sum', round: 0, participants: ['a', 'b', 'c', 'd'], threshold: 3 },
    ]);
    const sets = { survivors: [...NAMES], dropped: [] };
    await net.unmaskAll('job-sum', sets);
    // Every survivor reveals self-mask shares of the survivors only, never a mask-key share.
    for (const u of coord.unmasks.get('job-sum/0') ?? []) {
      expect(Object.keys(u.selfShares).sort()).toEqual(['a', 'b', 'c', 'd']);
      expect(u.keyShares).toEqual({});
    }
    expect(net.ledger('c', 'secagg_unmask')).toEqual([
      {
        jobId: 'job-sum',
        round: 0,
        setsHash: secaggSetsHash({
          jobId: 'job-sum',
          round: 0,
          specHash: subs[0]?.specHash ?? '',
          ...sets,
        }),
        survivors: ['a', 'b', 'c', 'd'],
        dropped: [],
      },
    ]);
    coord.addTask('b', coord.decryptTask('job-sum', 0, 'k1', subs, await net.aggregateOf(subs)));
    await net.run('b');
    expect(net.failures('b')).toEqual([]);
    const masked = (coord.decryptions[0]?.values ?? []).map((v) => BigInt(v));
    const plain = NAMES.map((n) => net.releaseOf(n, 'job-sum')).reduce((acc, v) =>
      acc.map((x, i) => x + (v[i] as bigint))
    );
    expect(masked).not.toEqual(plain);
    const correction = await coord.correction('job-sum', 0, sets, layout.length, TEST_MODULUS);
    expect(applyCorrection(masked, correction, TEST_MODULUS)).toEqual(plain);
    // north 11 + 20 + 13 + 15 = 59, south 1 each (under k = 10: suppressed), total 63.
    expect(plain.slice(0, 3)).toEqual([59n, 0n, 0n]);
    expect(plain[1001]).toBe(63n);
  });

  it('a submission decrypted alone with the epoch key is masked: not the release, uniform in Z_t over 2,003 slots', async () => {
    const he = await loadHe(TEST_HE_PARAMS);
    const a = net.coord.submissions.find(
      (s) => s.jobId === 'job-sum' && s.node === 'a'
    ) as Submission;
    const key = loadHeKey(net.dirs['a'] as string, 'k1');
    const alone = he.decrypt(
      a.ciphertexts.map((c) => fromBase64(c)),
      key.secretKey,
      layout.length
    );
    key.secretKey.fill(0);
    const release = net.releaseOf('a', 'job-sum');
    expect(release).toHaveLength(2003);
    expect(alone).toHaveLength(2003);
    // Unmasked, the release is nearly all zeros: the same test refuses it outright.
    expect(chiSquare16(release, TEST_MODULUS)).toBeGreaterThan(1000);
    expect(alone.filter((v, i) => v === release[i]).length).toBeLessThan(3);
    expect(chiSquare16(alone, TEST_MODULUS)).toBeLessThan(CHI2_LIMIT);
  });
});

describe('secure aggregation on the node: secrets', () => {
  it('erases the round secrets (NULL, gone from the files) when the submission is stored, and never logs them', async () => {
    const { coord } = net;
    for (const n of NAMES) {
      coord.addTask(n, coord.setupTask('job-erase', 0, 'k1', spec()));
      await net.run(n);
    }
    const before = stored('a', 'job-erase');
    const secrets = before?.secrets;
    expect(secrets?.selfSecret).toHaveLength(32);
    expect(secrets?.maskSecretKey).toHaveLength(32);
    expect(before?.maskedWith).toBeNull();
    for (const n of ['a', 'b', 'c']) {
      coord.addTask(n, coord.roundTask('job-erase', 0, 'k1', spec()));
      await net.run(n);
    }
    // d's round is refused (a spec that does not hash to its specHash): erased as well.
    const good = coord.roundTask('job-erase', 0, 'k1', spec());
    coord.addTask('d', { ...good, spec: { ...good.spec, minNodes: 4 } });
    await net.run('d');
    expect(coord.submissions.filter((s) => s.jobId === 'job-erase').map((s) => s.node)).toEqual([
      'a',
      'b',
      'c',
    ]);
    for (const n of NAMES) expect(secretColumns(n, 'job-erase')).toEqual([null, null]);
    expect(stored('a', 'job-erase')?.maskedWith).toEqual(['a', 'b', 'c', 'd']);
    expect(stored('d', 'job-erase')?.maskedWith).toBeNull();
    // Not in node.db (secure_delete zeroed the freed bytes) nor in a WAL.
    const dir = net.dirs['a'] as string;
    const files = ['node.db', 'node.db-wal'].map((f) => join(dir, f)).filter(existsSync);
    for (const secret of [secrets?.selfSecret, secrets?.maskSecretKey] as Uint8Array[]) {
      for (const f of files) expect(readFileSync(f).indexOf(Buffer.from(secret))).toBe(-1);
      const logged = JSON.stringify(net.logs) + net.coord.requests.map((r) => r.body).join('');
      expect(logged).not.toContain(bytesToHex(secret));
      expect(logged).not.toContain(toBase64(secret));
    }
  });

  it('refuses a setup with a threshold below a strict majority, an unpinned participant or an unsigned spec hash: nothing stored or sent', async () => {
    const { coord } = net;
    const weak = coord.setupTask('job-weak', 0, 'k1', spec(), { threshold: 2 });
    const high = coord.setupTask('job-high', 0, 'k1', spec(), { threshold: 5 });
    const evil = coord.setupTask('job-evil', 0, 'k1', spec(), {
      participants: ['a', 'b', 'c', 'evil'],
    });
    const good = coord.setupTask('job-unsigned', 0, 'k1', spec());
    const sig = good.specSignature;
    const unsigned = { ...good, specSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) };
    coord.tasks.set('a', [weak, high, evil, unsigned]);
    await net.run('a');
    expect(net.failures('a')).toEqual([
      'FORBIDDEN: secure aggregation setup job-weak/0: threshold 2 of 4 participants; this node shares only with a threshold from 3 to 4',
      'FORBIDDEN: secure aggregation setup job-high/0: threshold 5 of 4 participants; this node shares only with a threshold from 3 to 4',
      'FORBIDDEN: secure aggregation setup job-evil/0: evil is not a pinned member',
      'INVALID_SIGNATURE: secure aggregation setup job-unsigned/0: the round spec hash is not signed by the pinned coordinator key',
    ]);
    for (const job of ['job-weak', 'job-high', 'job-evil', 'job-unsigned'])
      expect(stored('a', job)).toBeUndefined();
    expect(
      posts('a', '/secagg/setup').filter(
        (r) => !r.path.includes('job-sum') && !r.path.includes('job-erase')
      )
    ).toEqual([]);
    expect(net.ledger('a', 'secagg_setup').map((e) => e['jobId'])).toEqual([
      'job-sum',
      'job-erase',
    ]);
  });
});

describe('secure aggregation on the node: masked input only with checked advertisements', () => {
  it('refuses a round whose advertisements are altered, unpinned or too few, or that it never set up: nothing submitted, nothing charged', async () => {
    const { coord } = net;
    for (const n of NAMES) {
      coord.addTask(n, coord.setupTask('job-forged', 0, 'k1', spec()));
      await net.run(n);
    }
    const adverts = coord.adverts('job-forged', 0);
    // A mask key the coordinator holds the secret of, in b's advertisement: it could then compute
    // a's pair mask with "b" itself.
    const swapped = adverts.map((x) =>
      x.node === 'b' ? { ...x, maskPublicKey: bytesToHex(nacl.box.keyPair().publicKey) } : x
    );
    // An advertisement from a node this one never pinned, copying d's participant set.
    const outsider = { ...(adverts[3] as (typeof adverts)[number]), node: 'evil' };
    const task = (a: typeof adverts) => coord.roundTask('job-forged', 0, 'k1', spec(), a);
    coord.addTask('a', task(swapped));
    coord.addTask('b', task([...adverts, outsider]));
    coord.addTask('c', task(adverts.filter((x) => x.node === 'c' || x.node === 'd')));
    // d never got a setup task for job-nosetup.
    coord.addTask('d', coord.roundTask('job-nosetup', 0, 'k1', spec(), adverts));
    for (const n of NAMES) await net.run(n);
    expect(
      coord.submissions.filter((s) => s.jobId === 'job-forged' || s.jobId === 'job-nosetup')
    ).toEqual([]);
    expect(
      coord.refusals
        .filter((r) => r.jobId === 'job-forged' || r.jobId === 'job-nosetup')
        .map((r) => `${r.node}: ${r.reason}`)
    ).toEqual([
      'a: INVALID_SIGNATURE: secure aggregation job-forged/0: advertisement of b is not signed by it',
      'b: FORBIDDEN: secure aggregation job-forged/0: evil is not a pinned member',
      'c: QUORUM_NOT_MET: secure aggregation job-forged/0: 2 advertisements, the threshold is 3',
      'd: SECAGG_SETUP_MISSING: secure aggregation job-nosetup/0: this node sent no setup for the round, so it holds no masks to submit with',
    ]);
    // Checked before the release path: no budget spent on a round this node cannot mask.
    for (const n of NAMES) expect(net.releaseOf(n, 'job-forged')).toEqual([]);
    expect(net.ledger('a', 'job_refused').map((e) => e['jobId'])).toContain('job-forged');
  });
});

describe('secure aggregation on the node: unmask once per round', () => {
  it('refuses a second unmask of the round with other sets (CONFLICT, ledgered once): no share leaves the node', async () => {
    const { coord } = net;
    const subs = await net.submitAll('job-twice', spec);
    expect(subs.every((s) => s !== undefined)).toBe(true);
    type Sets = { survivors: string[]; dropped: string[] };
    const first: Sets = { survivors: [...NAMES], dropped: [] };
    // d is now "dropped": with the first answers (its self-mask shares) and these (its mask-key
    // shares) from three holders, the coordinator would rebuild both of d's secrets and unmask
    // d's input alone. The sets are well-formed: only the once rule stops them.
    const second: Sets = { survivors: ['a', 'b', 'c'], dropped: ['d'] };
    expect(() =>
      checkSets(
        { jobId: 'job-twice', round: 0, specHash: subs[0]?.specHash ?? '', ...second },
        'a',
        [...NAMES],
        3
      )
    ).not.toThrow();
    await net.unmaskAll('job-twice', first, ['a', 'b', 'c']);
    const answered = posts('a', '/job-twice/rounds/0/secagg/unmask');
    expect(answered).toHaveLength(1);
    await net.unmaskAll('job-twice', second, ['a', 'b', 'c']);
    await net.unmaskAll('job-twice', second, ['a']);
    const hash = (s: Sets) =>
      secaggSetsHash({ jobId: 'job-twice', round: 0, specHash: subs[0]?.specHash ?? '', ...s });
    for (const n of ['a', 'b', 'c']) {
      expect(posts(n, '/job-twice/rounds/0/secagg/unmask')).toHaveLength(1);
      expect(net.failures(n).filter((e) => e.includes('job-twice'))[0]).toBe(
        `CONFLICT: secure aggregation unmask job-twice/0: this node already answered the unmask of this round for other sets (${hash(first).slice(0, 12)}…); refusing sets ${hash(second).slice(0, 12)}… (survivors a, b, c; dropped d)`
      );
      expect(net.ledger(n, 'secagg_unmask_refused')).toEqual([
        {
          jobId: 'job-twice',
          round: 0,
          setsHash: hash(second),
          survivors: ['a', 'b', 'c'],
          dropped: ['d'],
          answeredSetsHash: hash(first),
        },
      ]);
    }
    const keyShares = (coord.unmasks.get('job-twice/0') ?? []).map((u) => Object.keys(u.keyShares));
    expect(keyShares).toEqual([[], [], []]);
    // The same sets again: the stored answer, byte for byte.
    await net.unmaskAll('job-twice', first, ['a']);
    const again = posts('a', '/job-twice/rounds/0/secagg/unmask');
    expect(again).toHaveLength(2);
    expect(again[1]?.body).toBe(again[0]?.body);
    expect(net.ledger('a', 'secagg_unmask').filter((e) => e['jobId'] === 'job-twice')).toHaveLength(
      1
    );
  });

  it('refuses sets naming a node both survivor and dropped, leaving out a node, unsigned, or without its masked input: nothing posted', async () => {
    const { coord } = net;
    const both = coord.unmaskTask('job-twice', 0, 'k1', 'd', {
      survivors: ['a', 'b', 'c', 'd'],
      dropped: ['d'],
    });
    const short = coord.unmaskTask('job-twice', 0, 'k1', 'd', {
      survivors: ['a', 'b', 'd'],
      dropped: [],
    });
    const good = coord.unmaskTask('job-twice', 0, 'k1', 'd', {
      survivors: [...NAMES],
      dropped: [],
    });
    const sig = good.setsSignature;
    const unsigned = { ...good, setsSignature: (sig[0] === 'a' ? 'b' : 'a') + sig.slice(1) };
    // a refused job-forged: it holds no masked input there, so it has nothing to answer for.
    const noInput = coord.unmaskTask('job-forged', 0, 'k1', 'a', {
      survivors: [...NAMES],
      dropped: [],
    });
    coord.tasks.set('d', [both, short, unsigned]);
    coord.tasks.set('a', [noInput]);
    const before = coord.requests.length;
    await net.run('d');
    await net.run('a');
    expect(net.failures('d')).toEqual([
      'CONFLICT: secure aggregation job-twice/0: d named both survivor and dropped; refusing to reveal both shares',
      'CONFLICT: secure aggregation job-twice/0: the sets name other nodes than the 4 this node masked with',
      'INVALID_SIGNATURE: secure aggregation unmask job-twice/0: the survivor and dropped sets are not signed by the pinned coordinator key',
    ]);
    expect(net.failures('a').at(-1)).toBe(
      'FORBIDDEN: secure aggregation unmask job-forged/0: this node submitted no masked input for the round'
    );
    expect(coord.requests.slice(before)).toEqual([]);
    expect(stored('d', 'job-twice')?.unmaskBody).toBeNull();
    expect(net.ledger('d', 'secagg_unmask').filter((e) => e['jobId'] === 'job-twice')).toEqual([]);
  });
});
