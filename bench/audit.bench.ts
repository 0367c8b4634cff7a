/**
 * Auditing benchmark (figures in docs/audit.md "Costs"): what a release's units commitment costs,
 * what `audit verify` costs with and without --deep, and what the report and the console's ledger
 * browser cost, on a node with `customers` consenting customers, `releases` releases over all of
 * them, a few erasures in between, and ledger filler up to `ledgerEntries`. Figures only, no
 * assertions: the machine is shared. `run({ customers: 10_000, ledgerEntries: 20_000 })` is a quick
 * run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from '../packages/protocol/src/index.ts';
import {
  importRegionCustomers,
  releaseRegions,
} from '../packages/node/src/_testing/region-release.ts';
import { auditNode } from '../packages/node/src/audit/index.ts';
import { renderAuditHtml } from '../packages/node/src/audit/export-html.ts';
import { queryLedgerPage } from '../packages/node/src/console/ledger-query.ts';
import { eraseCustomer } from '../packages/node/src/erasure/index.ts';
import { initNode, loadIdentity } from '../packages/node/src/identity/index.ts';
import { appendLedgerEntry, ledgerSize } from '../packages/node/src/ledger/index.ts';
import { commitUnits } from '../packages/node/src/release/_units-commit.ts';
import { openNodeDatabase } from '../packages/node/src/store/index.ts';

export interface AuditBenchOptions {
  /** Customers each release reads (default 200k). */
  customers?: number;
  /** Releases over all customers (default 5), with one erasure before each but the first. */
  releases?: number;
  /** Ledger size after filler entries (default 300k). */
  ledgerEntries?: number;
  /** Customers for the stand-alone commitment figure (default 1M). */
  commitCustomers?: number;
}

function timed<T>(fn: () => T): { value: T; seconds: number; cpuSeconds: number } {
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const value = fn();
  const u = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - t0) / 1000, cpuSeconds: (u.user + u.system) / 1e6 };
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<{ value: T; seconds: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, seconds: (performance.now() - t0) / 1000 };
}

const round = (x: number, digits = 3): number => Number(x.toFixed(digits));

export async function run(opts: AuditBenchOptions = {}): Promise<Record<string, unknown>> {
  const customers = opts.customers ?? 200_000;
  const releases = opts.releases ?? 5;
  const ledgerEntries = opts.ledgerEntries ?? 300_000;
  const commitCustomers = opts.commitCustomers ?? 1_000_000;

  const ids1m = Array.from({ length: commitCustomers }, (_, i) => `CUST-${i}`);
  const commit = timed(() => commitUnits(randomBytes(32), ids1m));

  const root = mkdtempSync(join(tmpdir(), 'bench-audit-'));
  const dir = join(root, 'node');
  try {
    await initNode({ dir, name: 'bench-audit' });
    const identity = loadIdentity(dir);
    const db = openNodeDatabase(dir);
    const ids = Array.from({ length: customers }, (_, i) => `C${String(i).padStart(7, '0')}`);
    const imported = await timedAsync(() => importRegionCustomers(db, identity, root, ids));
    const releaseTimes: number[] = [];
    for (let r = 0; r < releases; r++) {
      if (r > 0) eraseCustomer(db, identity, ids[r * 7] as string);
      releaseTimes.push(timed(() => releaseRegions(db, identity, `bench-${r}`)).seconds);
    }
    const filler = timed(() =>
      db.transaction(() => {
        for (let i = ledgerSize(db); i < ledgerEntries; i++)
          appendLedgerEntry(db, { type: 'import', body: { file: `filler-${i}.csv`, rows: i } });
      })()
    );
    const shallow = await timedAsync(() => auditNode({ dir, db }));
    const deep = await timedAsync(() => auditNode({ dir, db, deep: true }));
    const html = timed(() =>
      renderAuditHtml(deep.value, { generatedAt: new Date(), toolVersion: 'bench' })
    );
    const newest = timed(() => queryLedgerPage(db, {}, null));
    const byType = timed(() => queryLedgerPage(db, { type: 'release' }, null));
    const erasure = deep.value.checks.find((c) => c.check === 'erasure_honoured');
    db.close();
    return {
      commitCustomers,
      commitSeconds: round(commit.seconds),
      commitCpuSeconds: round(commit.cpuSeconds),
      customers,
      importCustomersAndConsentsSeconds: round(imported.seconds),
      releases,
      releaseSecondsMedian: round(
        [...releaseTimes].sort((a, b) => a - b)[Math.floor(releaseTimes.length / 2)] as number
      ),
      ledgerEntries: deep.value.ledgerSize,
      fillerAppendSeconds: round(filler.seconds),
      auditVerifySeconds: round(shallow.seconds),
      auditVerifyDeepSeconds: round(deep.seconds),
      deepOverVerifyRatio: round(deep.seconds / shallow.seconds, 2),
      auditOk: deep.value.ok,
      erasureHonoured: erasure?.detail ?? null,
      unitsSorted: deep.value.checks.find((c) => c.check === 'units_sorted')?.detail ?? null,
      exportHtmlSeconds: round(html.seconds),
      exportHtmlKiB: Math.round(Buffer.byteLength(html.value) / 1024),
      consoleLedgerNewestPageMs: round(newest.seconds * 1000, 2),
      consoleLedgerReleaseFilterMs: round(byType.seconds * 1000, 2),
    };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
