import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIo } from './io.ts';
import { run } from './main.ts';
import { runCli as cli } from '../_testing/run-cli.ts';

const root = mkdtempSync(join(tmpdir(), 'fedmark-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function makeIo(
  env: Record<string, string | undefined> = {},
  signal?: AbortSignal
): CliIo & { outText: () => string; errText: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => {
      out += t;
    },
    err: (t) => {
      err += t;
    },
    stderrIsTTY: false,
    env,
    ...(signal ? { signal } : {}),
    outText: () => out,
    errText: () => err,
  };
}

const QUERY = {
  version: 1,
  kind: 'segment_stats',
  purpose: 'analytics',
  asOf: '2025-01-01',
  epsilon: 1,
  dimensions: [
    { field: 'attr.loyalty_tier', categories: ['bronze', 'silver', 'gold', 'platinum'] },
  ],
  measures: [{ field: 'frequency', lower: 0, upper: 50 }],
};

describe('fedmark CLI: help and usage', () => {
  it('node --help lists commands and the exit-code table', async () => {
    const r = await cli('node', '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain('Usage: fedmark node [options] [command]');
    expect(r.out).toContain('13  ledger verification failed');
    expect(r.out).toContain('10  import refused');
  });

  it.each([
    'node init',
    'node import',
    'node consent grant',
    'node consent revoke',
    'node consent summary',
    'node erase',
    'node ledger list',
    'node ledger verify',
    'node policy show',
    'node policy set',
    'node budget',
    'node stats',
    'node serve',
    'node enroll',
    'node keys',
    'node pin-coordinator',
    'node synth',
    'audit verify',
  ])('%s --help teaches purpose, options and an example', async (cmd) => {
    const r = await cli(...cmd.split(' '), '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: fedmark ${cmd}`);
    expect(r.out).toMatch(/\nOptions:\n/);
    expect(r.out).toMatch(/\nExamples?:\n {2}\$ /);
    expect(r.out).toContain(`  $ fedmark ${cmd.replace(' list', '')} `);
  });

  it('bad usage exits 2 with the reason on stderr', async () => {
    const unknown = await cli('node', 'frobnicate');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain("unknown command 'frobnicate'");
    const missing = await cli('node', 'init', '--name', 'x');
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("required option '--dir <path>' not specified");
    const badKind = await cli('node', 'import', '--dir', root, '--kind', 'orders', 'f.csv');
    expect(badKind.code).toBe(2);
    expect(badKind.err).toContain(
      'expected one of customers|events|touches|consents|table, got "orders"'
    );
    const both = await cli('node', 'erase', '--dir', root, '--customer', 'a', '--file', 'b');
    expect(both.code).toBe(2);
    expect(both.err).toContain('give exactly one of --customer <id> or --file <path>');
    const port = await cli('node', 'serve', '--dir', root, '--port', '70000');
    expect(port.code).toBe(2);
    expect(port.err).toContain('expected a number from 0 to 65535, got 70000');
    const basis = await cli(
      'node',
      'import',
      '--dir',
      root,
      '--kind',
      'customers',
      '--lawful-basis',
      'analytics',
      'f.csv'
    );
    expect(basis.code).toBe(2);
    expect(basis.err).toContain('expected purpose=basis');
  });

  it('a directory without a node exits 15 without a stack trace', async () => {
    const r = await cli('node', 'ledger', '--dir', join(root, 'nothing-here'));
    expect(r.code).toBe(15);
    expect(r.err).toBe(
      `fedmark: error: no node in ${join(root, 'nothing-here')} (run "fedmark node init --dir ${join(root, 'nothing-here')} --name NAME" first)\n`
    );
  });
});

describe('fedmark CLI: policy', () => {
  it('show --json, set a changed file (ledger entry), refuse an invalid one with exit 14', async () => {
    const dir = join(root, 'node-policy');
    expect((await cli('node', 'init', '--dir', dir, '--name', 'policy-a')).code).toBe(0);
    const shown = await cli('node', 'policy', 'show', '--dir', dir, '--json');
    const policy = JSON.parse(shown.out) as { minCohort: number };
    expect(policy.minCohort).toBe(10);
    const file = join(root, 'policy.json');
    writeFileSync(file, JSON.stringify({ ...policy, minCohort: 20 }));
    const set = await cli(
      'node',
      'policy',
      'set',
      '--dir',
      dir,
      '--file',
      file,
      '--reason',
      'test'
    );
    expect(set.code).toBe(0);
    expect(set.out).toContain('  minCohort: 10 -> 20');
    expect((await cli('node', 'policy', 'show', '--dir', dir)).out).toMatch(
      /minimum cohort \(k\):\s+20\n/
    );
    writeFileSync(file, JSON.stringify({ ...policy, minCohort: 1 }));
    const bad = await cli('node', 'policy', 'set', '--dir', dir, '--file', file);
    expect(bad.code).toBe(14);
    expect(bad.err).toMatch(/field "minCohort": /);
    const led = await cli('node', 'ledger', '--dir', dir, '--type', 'policy_change', '--json');
    const entries = (JSON.parse(led.out) as { entries: { body: { reason: string } }[] }).entries;
    expect(entries.map((e) => e.body.reason)).toEqual(['test']);
  });
});

describe('fedmark CLI: end to end on synthetic data', () => {
  const dir = join(root, 'node-a');
  const data = join(root, 'data-a');
  const queryFile = join(root, 'q.json');
  let consenting = 0;

  beforeAll(async () => {
    expect((await cli('node', 'init', '--dir', dir, '--name', 'retail-a')).code).toBe(0);
    const synth = await cli(
      'node',
      'synth',
      '--dir',
      data,
      '--profile',
      'retail',
      '--seed',
      '7',
      '--customers',
      '500',
      '--start',
      '2024-01-01',
      '--end',
      '2024-12-31',
      '--json'
    );
    expect(synth.code).toBe(0);
    const report = JSON.parse(synth.out) as { rows: { customers: number }; nextCommands: string[] };
    expect(report.rows.customers).toBe(500);
    expect(report.nextCommands[0]).toBe(
      `fedmark node import --dir <node-dir> --kind customers ${join(data, 'customers.csv')}`
    );
    const last = new Map<string, string>();
    for (const line of readFileSync(join(data, 'consents.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1)) {
      const [id, purpose, status] = line.split(',');
      if (purpose === 'analytics') last.set(id as string, status as string);
    }
    consenting = [...last.values()].filter((s) => s === 'granted').length;
    writeFileSync(queryFile, JSON.stringify(QUERY));
  });

  it('imports the four generated files cleanly, idempotently', async () => {
    for (const kind of ['customers', 'events', 'touches', 'consents']) {
      const r = await cli(
        'node',
        'import',
        '--dir',
        dir,
        '--kind',
        kind,
        join(data, `${kind}.csv`),
        '--json'
      );
      expect(r.code).toBe(0);
      const rep = JSON.parse(r.out) as { kind: string; rowsRead: number; rowsInserted: number };
      expect(rep.kind).toBe(kind);
      expect(rep.rowsInserted).toBe(rep.rowsRead);
    }
    const again = await cli(
      'node',
      'import',
      '--dir',
      dir,
      '--kind',
      'customers',
      join(data, 'customers.csv'),
      '--json'
    );
    expect(JSON.parse(again.out)).toMatchObject({
      rowsRead: 500,
      rowsInserted: 0,
      rowsUnchanged: 500,
    });
  });

  it('stats --json releases noisy figures near the truth with the documented shape', async () => {
    const r = await cli('node', 'stats', '--dir', dir, '--query', queryFile, '--json');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as {
      jobId: string;
      epsilon: number;
      noise: string;
      values: string[];
      result: {
        total: { estimate: number; sd: number; low: number; high: number };
        minReliableCount: number;
        cells: {
          labels: string[];
          count: { estimate: number; raw: number };
          measures: Record<string, unknown>;
        }[];
      };
    };
    expect(s.jobId).toMatch(/^local-/);
    expect(s.epsilon).toBe(1);
    expect(s.noise).toBe('on');
    expect(s.values.every((v) => /^-?\d+$/.test(v))).toBe(true);
    expect(s.result.cells.map((c) => c.labels[0])).toEqual([
      'bronze',
      'silver',
      'gold',
      'platinum',
      '__other__',
    ]);
    expect(Object.keys(s.result.cells[0]?.measures ?? {})).toEqual(['frequency']);
    // Post-processing: counts projected to >= 0 with the released value kept as raw (count block first).
    expect(s.result.minReliableCount).toBe(20);
    s.result.cells.forEach((c, i) => {
      expect(c.count.raw).toBe(Number(s.values[i]));
      expect(c.count.estimate).toBe(Math.max(0, c.count.raw));
    });
    const t = s.result.total;
    expect(t.sd).toBeGreaterThan(0);
    expect(Math.abs(t.estimate - consenting)).toBeLessThanOrEqual(6 * t.sd);
    expect(t.high - t.low).toBeCloseTo(2 * 1.96 * t.sd, 6);
  });

  it('stats prints a readable table with intervals', async () => {
    const r = await cli('node', 'stats', '--dir', dir, '--query', queryFile, '--epsilon', '0.5');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/attr\.loyalty_tier\s+count\s+sum frequency\s+mean frequency/);
    // Counts whole (± whole), sums and means with 3 significant digits; nothing negative after projection.
    expect(r.out).toMatch(/\nbronze\s+[\d,]+ ± \d+\s+[\d,.]+ ± [\d,.]+\s+[\d.]+ ± [\d.]+( †)?\n/);
    expect(r.out).not.toMatch(/ -\d/);
    expect(r.out).toContain('epsilon 0.5 charged');
  });

  it('refusals map to exit codes: policy 12, budget 11, invalid query 14', async () => {
    const noNoise = await cli(
      'node',
      'stats',
      '--dir',
      dir,
      '--query',
      queryFile,
      '--no-noise-test-only'
    );
    expect(noNoise.code).toBe(12);
    expect(noNoise.err).toMatch(/^fedmark: error \[POLICY_REFUSED\]: /);
    // 1.5 of the monthly 4 is spent: 2 fits, then 2 more does not.
    expect(
      (await cli('node', 'stats', '--dir', dir, '--query', queryFile, '--epsilon', '2')).code
    ).toBe(0);
    const over = await cli('node', 'stats', '--dir', dir, '--query', queryFile, '--epsilon', '2');
    expect(over.code).toBe(11);
    expect(over.err).toMatch(/^fedmark: error \[BUDGET_EXCEEDED\]: /);
    const bad = join(root, 'bad-query.json');
    writeFileSync(bad, JSON.stringify({ ...QUERY, purpose: 'fun' }));
    const invalid = await cli('node', 'stats', '--dir', dir, '--query', bad);
    expect(invalid.code).toBe(14);
    expect(invalid.err).toMatch(/bad-query\.json: field "purpose": /);
    const budget = await cli('node', 'budget', '--dir', dir, '--json');
    const analytics = (
      JSON.parse(budget.out) as { budgets: { purpose: string; spentEpsilon: number }[] }
    ).budgets.find((b) => b.purpose === 'analytics');
    expect(analytics?.spentEpsilon).toBe(3.5);
    // Pure releases read as rho too (epsilon^2/2 each: the 2 alone is 2, all of 3.5 at once would
    // be 6.125), at the policy's delta.
    const rhoLine = (
      JSON.parse(budget.out) as { budgets: { purpose: string; spentRho: number; delta: number }[] }
    ).budgets.find((b) => b.purpose === 'analytics');
    expect(rhoLine?.delta).toBe(1e-7);
    expect(rhoLine?.spentRho).toBeGreaterThan(2);
    expect(rhoLine?.spentRho).toBeLessThan(6.125);
    const table = await cli('node', 'budget', '--dir', dir);
    expect(table.out).toMatch(/spent ε +remaining ε +spent ρ +cap ρ/);
    expect(table.out).toMatch(/ε is read at δ = 1e-7/);
  });

  it('stats over an assignment unit (A/B funnel) runs through the same release path', async () => {
    const ab = join(root, 'ab.json');
    writeFileSync(
      ab,
      JSON.stringify({
        version: 1,
        kind: 'segment_stats',
        purpose: 'marketing',
        unit: 'assignment',
        maxRowsPerCustomer: 3,
        asOf: '2025-01-01',
        epsilon: 0.5,
        dimensions: [{ field: 'variant', categories: ['A', 'B'] }],
        measures: [{ field: 'converted', lower: 0, upper: 1 }],
      })
    );
    const r = await cli('node', 'stats', '--dir', dir, '--query', ab, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const s = JSON.parse(r.out) as { unit: string; result: { cells: { labels: string[] }[] } };
    expect(s.unit).toBe('assignment');
    expect(s.result.cells.map((c) => c.labels[0])).toEqual(['A', 'B', '__other__']);
  });

  it('a bad import file exits 10 naming line and column, and imports nothing', async () => {
    const bad = join(root, 'bad-events.csv');
    writeFileSync(
      bad,
      'customer_id,time,type,amount\nrt0000001,2024-05-01T10:00:00Z,purchase,12.50\nrt0000001,2024-05-02T10:00:00Z,purchase,12;50\n'
    );
    const r = await cli('node', 'import', '--dir', dir, '--kind', 'events', bad);
    expect(r.code).toBe(10);
    expect(r.err).toContain(
      'bad-events.csv:3: column "amount": value "12;50": expected a decimal number'
    );
    expect(r.err).not.toContain('    at ');
    const led = await cli('node', 'ledger', '--dir', dir, '--type', 'import', '--json');
    expect((JSON.parse(led.out) as { entries: unknown[] }).entries).toHaveLength(5); // 4 files + 1 re-import
  });

  it('consent, erase, then the ledger still verifies (node ledger verify and audit verify)', async () => {
    const before = JSON.parse(
      (await cli('node', 'consent', 'summary', '--dir', dir, '--json')).out
    ) as { purpose: string; inForce: number; revoked: number }[];
    expect(before.find((r) => r.purpose === 'analytics')?.inForce).toBe(consenting);
    expect(
      (
        await cli(
          'node',
          'consent',
          'revoke',
          '--dir',
          dir,
          '--customer',
          'rt0000003',
          '--purpose',
          'marketing'
        )
      ).code
    ).toBe(0);
    const erase = await cli(
      'node',
      'erase',
      '--dir',
      dir,
      '--customer',
      'rt0000001',
      '--reason',
      'cli_test',
      '--json'
    );
    expect(erase.code).toBe(0);
    const er = JSON.parse(erase.out) as {
      customers: number;
      rowsDeleted: number;
      results: { pseudonym: string }[];
    };
    expect(er.customers).toBe(1);
    expect(er.rowsDeleted).toBeGreaterThan(1);
    const led = await cli('node', 'ledger', '--dir', dir, '--type', 'erasure', '--json');
    const entries = (
      JSON.parse(led.out) as { entries: { subject: string; body: { reason: string } }[] }
    ).entries;
    expect(entries.map((e) => [e.subject, e.body.reason])).toEqual([
      [er.results[0]?.pseudonym, 'cli_test'],
    ]);
    expect(led.out).not.toContain('rt0000001');
    const v = await cli('node', 'ledger', 'verify', '--dir', dir, '--json');
    expect(v.code).toBe(0);
    expect(JSON.parse(v.out)).toMatchObject({ ok: true });
    const a = await cli('audit', 'verify', '--node-dir', dir);
    expect(a.code).toBe(0);
    expect(a.out).toMatch(
      /^Audit of node [a-z0-9-]+: PASSED\nLedger: \d+ entries, Merkle root [0-9a-f]{64};/
    );
    expect(a.out).toContain('[ ok ] chain:');
  });

  it('a tampered ledger fails verification with exit 13 naming the entry', async () => {
    const copy = join(root, 'node-tampered');
    expect(await cli('node', 'init', '--dir', copy, '--name', 'tamper')).toMatchObject({ code: 0 });
    expect(
      (
        await cli(
          'node',
          'consent',
          'grant',
          '--dir',
          copy,
          '--customer',
          'c1',
          '--purpose',
          'analytics'
        )
      ).code
    ).toBe(0);
    expect(
      (
        await cli(
          'node',
          'consent',
          'grant',
          '--dir',
          copy,
          '--customer',
          'c2',
          '--purpose',
          'analytics'
        )
      ).code
    ).toBe(0);
    const db = new Database(join(copy, 'node.db'));
    db.exec('DROP TRIGGER ledger_no_update');
    db.prepare('UPDATE ledger SET body = ? WHERE seq = 1').run(
      '{"purpose":"marketing","source":"cli","effectiveAt":"2024-01-01T00:00:00.000Z"}'
    );
    db.close();
    const v = await cli('node', 'ledger', 'verify', '--dir', copy, '--json');
    expect(v.code).toBe(13);
    expect(JSON.parse(v.out)).toMatchObject({ ok: false, size: 3, firstBadSeq: 1 });
    const human = await cli('audit', 'verify', '--node-dir', copy);
    expect(human.code).toBe(13);
    expect(human.err).toMatch(/^fedmark: ledger verification failed at entry seq 1: /);
  });

  it('serve answers /health and stops on the signal', async () => {
    const stop = new AbortController();
    const io = makeIo({}, stop.signal);
    const done = run(['node', 'serve', '--dir', dir, '--port', '0'], io);
    let url: string | undefined;
    for (let i = 0; i < 200 && url === undefined; i++) {
      url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(io.outText())?.[1];
      if (url === undefined) await new Promise((r) => setTimeout(r, 25));
    }
    expect(url).toBeDefined();
    const res = await fetch(`${url}/health`);
    expect(await res.json()).toEqual({ status: 'ok', node: 'retail-a', version: 1 });
    const tokens = JSON.parse(readFileSync(join(dir, 'api-tokens.json'), 'utf8')) as {
      tokens: { role: string; token: string }[];
    };
    const auditor = tokens.tokens.find((t) => t.role === 'auditor')?.token as string;
    expect(io.errText()).toContain(`Created API tokens in ${join(dir, 'api-tokens.json')}`);
    const verify = await fetch(`${url}/v1/ledger/verify`, {
      headers: { authorization: `Bearer ${auditor}` },
    });
    expect(((await verify.json()) as { ok: boolean }).ok).toBe(true);
    stop.abort();
    expect(await done).toBe(0);
    expect(io.outText()).toContain('Stopped.\n');
  });

  it('enroll refuses a malformed token before any network call (exit 14)', async () => {
    const r = await cli(
      'node',
      'enroll',
      '--dir',
      dir,
      '--coordinator',
      'http://127.0.0.1:9',
      '--token',
      'not-a-token'
    );
    expect(r.code).toBe(14);
    expect(r.err).toBe(
      'fedmark: error [BAD_REQUEST]: enrollment token: expected 64 lower-case hex characters\n'
    );
  });

  it('keys prints the public keys and the admission command at any time; pin-coordinator pins a key file', async () => {
    const init = JSON.parse((await cli('node', 'keys', '--dir', dir, '--json')).out) as Record<
      string,
      unknown
    >;
    expect(init).toMatchObject({
      version: 1,
      kind: 'fedmark-node-public-keys',
      signingKey: expect.stringMatching(/^[0-9a-f]{64}$/),
      pinnedCoordinator: null,
    });
    const keyFile = join(root, 'node.keys.json');
    const human = await cli('node', 'keys', '--dir', dir, '--out', keyFile);
    expect(human.code).toBe(0);
    expect(human.out).toContain(`  signing key (Ed25519): ${String(init['signingKey'])}`);
    expect(human.out).toContain(
      `  fedmark coordinator admit --dir <coordinator dir> --keys ${keyFile}`
    );
    expect(JSON.parse(readFileSync(keyFile, 'utf8'))).toEqual({
      version: 1,
      kind: 'fedmark-node-public-keys',
      name: init['name'],
      signingKey: init['signingKey'],
      boxKey: init['boxKey'],
    });

    const coordKey = 'ab'.repeat(32);
    const coordFile = join(root, 'coordinator.keys.json');
    writeFileSync(
      coordFile,
      JSON.stringify({ version: 1, kind: 'fedmark-coordinator-public-key', signingKey: coordKey })
    );
    const pin = await cli(
      'node',
      'pin-coordinator',
      '--dir',
      dir,
      '--coordinator',
      'http://127.0.0.1:7700',
      '--keys',
      coordFile
    );
    expect(pin.code).toBe(0);
    expect(pin.out).toContain(
      `Pinned coordinator http://127.0.0.1:7700 with signing key ${coordKey}`
    );
    const after = JSON.parse((await cli('node', 'keys', '--dir', dir, '--json')).out) as Record<
      string,
      unknown
    >;
    expect(after['pinnedCoordinator']).toEqual({
      url: 'http://127.0.0.1:7700',
      coordinatorKey: coordKey,
    });

    const bad = await cli(
      'node',
      'pin-coordinator',
      '--dir',
      dir,
      '--coordinator',
      'http://127.0.0.1:7700',
      '--key',
      'xyz'
    );
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--key: expected a 32-byte key as 64 lower-case hex characters');
    const neither = await cli(
      'node',
      'pin-coordinator',
      '--dir',
      dir,
      '--coordinator',
      'http://127.0.0.1:7700'
    );
    expect(neither.code).toBe(2);
    expect(neither.err).toContain('give exactly one of --key <hex> or --keys <file>');
  });

  it('FEDMARK_DEBUG=1 adds the stack trace', async () => {
    const io = makeIo({ FEDMARK_DEBUG: '1' });
    const code = await run(
      ['node', 'stats', '--dir', join(root, 'nope'), '--query', join(root, 'missing.json')],
      io
    );
    expect(code).toBe(14);
    expect(io.errText()).toContain('missing.json: cannot read (ENOENT)');
    expect(io.errText()).toContain('    at ');
  });
});
