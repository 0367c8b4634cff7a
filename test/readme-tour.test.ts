import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../packages/coordinator/src/simulate/processes.ts';
import { tourScript, tourStatements } from './support/readme-tour.ts';

/**
 * The README's tour is a test: every statement of it, verbatim and in order, run by one bash
 * from a temporary directory (not the repository), with `fedmark` on PATH as `npm install -g .`
 * puts it there. Each statement must exit 0 and print its key line. The tour's fixed ports are
 * swapped for free ones so the test cannot collide with anything else listening.
 */
const repo = resolve(fileURLToPath(new URL('..', import.meta.url)));
const README = join(repo, 'README.md');

/** What each statement must print, in tour order (a log file for the background ones). */
const EXPECTED: { starts: string; out: RegExp; file?: string }[] = [
  {
    starts: 'fedmark node init --dir node-a',
    out: /Initialised node "retail-a" in node-a\n {2}signing key \(Ed25519\): [0-9a-f]{64}/,
  },
  { starts: 'fedmark node init --dir node-b', out: /Initialised node "bank-b"/ },
  { starts: 'fedmark node init --dir node-c', out: /Initialised node "telecom-c"/ },
  {
    starts: 'fedmark node synth --dir data-a',
    out: /customers\.csv +2000 rows[\s\S]*churn\.csv +2000 rows/,
  },
  { starts: 'fedmark node synth --dir data-b', out: /Wrote bank data/ },
  { starts: 'fedmark node synth --dir data-c', out: /Wrote telecom data/ },
  {
    starts: 'for n in a b c; do   # kinds from the file names',
    out: /(Imported churn\.csv as table \(table churn\): 2000 rows read[\s\S]*){3}/,
  },
  { starts: "echo '{", out: /^$/ },
  { starts: 'fedmark node stats', out: /epsilon 0\.5 charged[\s\S]*\nmature +[\d,]+ ± \d+/ },
  { starts: 'fedmark node budget', out: /analytics +month +\d{4}-\d\d +4 +0\.5 +3\.5/ },
  { starts: 'fedmark node ledger verify', out: /^Ledger OK: \d+ entries, hash chain intact/ },
  {
    starts: 'fedmark coordinator init',
    out: /operator token \(shown once; stored in coord\/operator\.token/,
  },
  { starts: 'export FEDMARK_TOKEN', out: /^$/ },
  { starts: 'export FEDMARK_TLS_FINGERPRINT', out: /^$/ },
  {
    starts: 'fedmark coordinator keys',
    out: /coordinator signing key: [0-9a-f]{64} \(written to coordinator\.keys\.json[\s\S]*\nTLS key fingerprint: sha256:[0-9a-f]{64}\n/,
  },
  {
    starts: 'for n in a b c; do\n  fedmark node keys',
    out: /(admitted (retail-a|bank-b|telecom-c); key epoch k\d starts[\s\S]*Pinned coordinator https:\/\/127\.0\.0\.1:\d+ with signing key [0-9a-f]{64} and TLS key sha256:[0-9a-f]{64}[\s\S]*){3}/,
  },
  {
    starts: 'fedmark coordinator start',
    out: /coordinator listening on https:\/\/127\.0\.0\.1:\d+\nTLS key fingerprint \(nodes pin it\): sha256:[0-9a-f]{64}\n[\s\S]*\{"event":"ready","service":"coordinator","url":"https:\/\/127\.0\.0\.1:\d+"/,
    file: 'coord.log',
  },
  {
    starts: 'fedmark node serve --dir node-a',
    out: /Node "retail-a" API listening on http:\/\/127\.0\.0\.1:\d+[\s\S]*Federation agent polling/,
    file: 'node-a.log',
  },
  {
    starts: 'fedmark node serve --dir node-b',
    out: /Node "bank-b" API listening/,
    file: 'node-b.log',
  },
  {
    starts: 'fedmark node serve --dir node-c',
    out: /Node "telecom-c" API listening/,
    file: 'node-c.log',
  },
  { starts: 'fedmark job template rfm', out: /^$/ },
  { starts: 'JOB=$(fedmark job create --spec rfm.json', out: /^(waiting: .*\n)*$/ },
  {
    starts: 'fedmark job watch',
    out: /round 1 round opened: means recency [\d.,]+, frequency [\d.,]+, monetary [\d.,]+\n[\s\S]*\[published\] round 1 published: 3\/3 submitted/,
  },
  { starts: 'fedmark job result', out: /\nR\+F\+M\+ important value +[\d,]+ ± \d+/ },
  { starts: 'fedmark job template ab-test', out: /^$/ },
  { starts: 'JOB=$(fedmark job create --spec ab.json', out: /^$/ },
  { starts: 'fedmark job watch', out: /\[published\] round 0 published: 3\/3 submitted/ },
  {
    starts: 'fedmark job result',
    out: /"A\/B test by lifecycle stage" \(segment_stats\): published\n[\s\S]*spring_sale +B +/,
  },
  { starts: 'fedmark job template train', out: /^$/ },
  { starts: 'JOB=$(fedmark job create --spec train.json', out: /^$/ },
  { starts: 'fedmark job watch', out: /round - job published/ },
  {
    starts: 'fedmark model export',
    out: /^wrote model\.json: churn propensity, 6 of 6 rounds, 3 nodes, epsilon 1 per node/,
  },
  {
    starts: 'fedmark model score',
    out: /^scored 2000 rows of data-a\/churn\.csv into scores\.csv/,
  },
  { starts: 'fedmark node score', out: /^scored \d+ customers of table churn into scores-a\.csv/ },
  { starts: 'echo \'{"version": 1, "kind": "decision_policy"', out: /^$/ },
  {
    starts: 'fedmark node decide --dir node-a --policy policy.json --all',
    out: /^decided 2000 customers into decisions-a\.csv: \d+ with an action\n[\s\S]*rules fired: consent 2000, lifecycle \d+/,
  },
  {
    starts: 'fedmark node decide --dir node-a --policy policy.json --customer',
    out: /^rt0000001: [\s\S]*\n {2}consent +/,
  },
  { starts: 'echo \'{"version": 1, "kind": "audience"', out: /^$/ },
  {
    starts: 'fedmark node audience',
    out: /^audience "mature, high spend": [1-9]\d* customers with marketing consent into audience-a\.csv\nledger entry \d+ \(audience\)/,
  },
  { starts: 'fedmark node erase', out: /^Erased 1 customer\(s\)/ },
  {
    starts: 'fedmark audit verify',
    out: /^Audit of node retail-a: PASSED[\s\S]*\[ ok \] coordinator_consistency/,
  },
  {
    starts: 'fedmark audit export',
    out: /^Audit of node retail-a: PASSED; report written to report\.html/,
  },
  { starts: 'kill $(jobs -p)', out: /^$/ },
];

describe('the README tour, verbatim, from a temporary directory', () => {
  let work: string;
  let statements: string[];
  let exitCode: number | null;
  let codes: Map<number, number>;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'fedmark-tour-'));
    statements = tourStatements(README);
    // Free ports instead of the tour's fixed ones; everything else is the README's text.
    const ports = new Map<string, string>();
    for (const fixed of ['7700', '7801', '7802', '7803'])
      ports.set(fixed, String(await freePort()));
    const swapped = statements.map((s) =>
      s.replace(/\b(7700|7801|7802|7803)\b/g, (p) => ports.get(p)!)
    );
    const out = join(work, '.tour-output');
    mkdirSync(out);
    mkdirSync(join(work, '.bin'));
    writeFileSync(
      join(work, '.bin', 'fedmark'),
      `#!/bin/sh\nexec "${process.execPath}" "${join(repo, 'bin', 'fedmark.mjs')}" "$@"\n`,
      { mode: 0o755 }
    );
    writeFileSync(join(work, '.tour.sh'), tourScript(swapped, out));
    const child = spawn('bash', [join(work, '.tour.sh')], {
      cwd: work,
      env: {
        ...process.env,
        PATH: `${join(work, '.bin')}:${process.env['PATH'] ?? ''}`,
        FEDMARK_TOKEN: '',
        FEDMARK_COORDINATOR_URL: '',
        FEDMARK_TLS_FINGERPRINT: '',
      },
      stdio: 'ignore',
    });
    const killer = setTimeout(() => child.kill('SIGTERM'), 480_000);
    exitCode = await new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    clearTimeout(killer);
    const rcFile = join(out, 'rc');
    codes = new Map(
      (existsSync(rcFile) ? readFileSync(rcFile, 'utf8').trim().split('\n') : []).map(
        (l) => l.split(' ').map(Number) as [number, number]
      )
    );
  }, 600_000);

  afterAll(() => rmSync(work, { recursive: true, force: true }));

  const output = (i: number): string => {
    const file = EXPECTED[i]?.file;
    return readFileSync(file ? join(work, file) : join(work, '.tour-output', `${i}.out`), 'utf8');
  };

  it('has the statements this test expects, in order (a README change must update both)', () => {
    expect(statements.length).toBe(EXPECTED.length);
    statements.forEach((s, i) => {
      expect(s.startsWith(EXPECTED[i]!.starts), `statement ${i}: ${s}`).toBe(true);
    });
  });

  it('runs every statement with exit code 0', () => {
    const failed = [...codes].find(([, rc]) => rc !== 0);
    const detail = failed
      ? `statement ${failed[0]} (${statements[failed[0]]}) exited ${failed[1]}:\n${output(failed[0])}`
      : '';
    expect(detail).toBe('');
    expect(codes.size).toBe(statements.length);
    expect(exitCode).toBe(0);
  });

  it("prints each statement's key line", () => {
    EXPECTED.forEach((e, i) => {
      expect(output(i), `statement ${i}: ${statements[i]}`).toMatch(e.out);
    });
  });

  it('leaves the files the tour says it makes, outside the repository', () => {
    expect(readFileSync(join(work, 'scores.csv'), 'utf8').split('\n')[0]).toMatch(/score/);
    expect(readFileSync(join(work, 'report.html'), 'utf8')).toMatch(/^<!doctype html>/i);
    expect(JSON.parse(readFileSync(join(work, 'model.json'), 'utf8'))).toMatchObject({
      name: 'churn propensity',
    });
    expect(readFileSync(join(work, 'decisions-a.csv'), 'utf8').split('\n')[0]).toMatch(
      /^customer_id,action,campaign/
    );
    expect(readFileSync(join(work, 'audience-a.csv'), 'utf8').split('\n')[0]).toBe('customer_id');
    expect(existsSync(join(repo, 'node-a'))).toBe(false);
  });
});
