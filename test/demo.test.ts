import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCsv } from '@fedmark/protocol';

/**
 * The demo as `pnpm demo` runs it (without its overlap job, which test/overlap.test.ts covers):
 * the real `fedmark simulate` CLI, every party its own process, the default jobs, then the
 * next-best-action and audience step at the retailer (docs/decide.md "In the demo"). Its files
 * go beside the model file, here in the test's own directory.
 */
const BIN = join(resolve(fileURLToPath(new URL('..', import.meta.url))), 'bin', 'fedmark.mjs');
const root = mkdtempSync(join(tmpdir(), 'fedmark-demo-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function simulate(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [BIN, 'simulate', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
  return new Promise((done) => child.on('close', (code) => done({ code, out, err })));
}

const rowsOf = (file: string) => parseCsv(readFileSync(file, 'utf8'), file).slice(1);

interface Doc {
  results: { name: string; status: string }[];
  action: {
    node: string;
    usesModel: boolean;
    usesResponseRates: boolean;
    decisions: {
      out: string;
      decisions: number;
      withAction: number;
      rules: Record<string, number>;
      reasons: Record<string, number>;
    };
    example: { customerId: string; rules: { rule: string }[] } | null;
    audience: { out: string; name: string; count: number; seq: number };
  } | null;
}

describe('fedmark simulate (the demo)', () => {
  it('runs the default jobs, then decides for every retail customer and builds an audience there', async () => {
    const workdir = join(root, 'federation');
    const r = await simulate([
      ...['--workdir', workdir, '--model-out', join(root, 'model.json'), '--json'],
    ]);
    expect(r.code, r.err).toBe(0);
    const doc = JSON.parse(r.out) as Doc;
    expect(doc.results.map((x) => [x.name, x.status])).toEqual([
      ['RFM 8-class segmentation (two-phase)', 'published'],
      ['Lifecycle stage x NES status', 'published'],
      ['A/B test by campaign', 'published'],
      ['Response rate by channel x time of week', 'published'],
      ['churn propensity', 'published'],
    ]);
    const a = doc.action;
    if (!a) throw new Error(`no action step in the demo's output: ${r.err}`);
    expect([a.node, a.usesModel, a.usesResponseRates]).toEqual(['retail-a', true, true]);

    // One decision per retail customer, in the file beside the model.
    const data = join(workdir, 'nodes', 'retail-a', 'synthetic-data');
    const customers = rowsOf(join(data, 'customers.csv')).length;
    expect(a.decisions.out).toBe(join(root, 'fedmark-demo-decisions.csv'));
    const decisions = rowsOf(a.decisions.out);
    expect([a.decisions.decisions, decisions.length]).toEqual([customers, customers]);
    const withAction = decisions.filter((d) => (d.cells[1] ?? '') !== '').length;
    expect(withAction).toBe(a.decisions.withAction);
    expect(withAction).toBeGreaterThan(customers / 4);
    const reasons = Object.values(a.decisions.reasons).reduce((s, n) => s + n, 0);
    expect(withAction + reasons).toBe(customers);
    // The joint model and the published rates took part in the decisions.
    expect(a.decisions.rules['score']).toBeGreaterThan(0);
    expect(a.decisions.rules['response_rate']).toBeGreaterThan(0);
    expect(a.example?.rules.map((x) => x.rule)).toContain('action');
    expect(r.out).not.toContain('rules fired'); // --json: stdout is the one document

    // The audience: its file, its ledger entry at the retailer, no customer twice.
    const audience = rowsOf(a.audience.out).map((x) => x.cells[0]);
    expect(audience.length).toBe(a.audience.count);
    expect(new Set(audience).size).toBe(audience.length);
    expect(a.audience.count).toBeGreaterThan(0);
    const ids = new Set(rowsOf(join(data, 'customers.csv')).map((x) => x.cells[0]));
    expect(audience.every((id) => ids.has(id))).toBe(true);
    const ledger = await new Promise<string>((done) => {
      const c = spawn(process.execPath, [
        ...[BIN, 'node', 'ledger', '--dir', join(workdir, 'nodes', 'retail-a')],
        ...['--type', 'audience', '--json'],
      ]);
      let s = '';
      c.stdout.setEncoding('utf8').on('data', (d: string) => (s += d));
      c.on('close', () => done(s));
    });
    const entries = (
      JSON.parse(ledger) as { entries: { seq: number; body: { name: string; count: number } }[] }
    ).entries;
    expect(entries.map((e) => [e.seq, e.body.name, e.body.count])).toEqual([
      [a.audience.seq, a.audience.name, a.audience.count],
    ]);
  }, 240_000);
});
