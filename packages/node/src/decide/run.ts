import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/identity.ts';
import { decide } from './decide.ts';
import type { Decision } from './decision.ts';
import { recordDecisionRun } from './decision-log.ts';
import {
  DECISION_CSV_HEADER,
  decisionFormat,
  decisionToCsv,
  decisionToJsonLine,
  writeLinesAtomically,
} from './decisions-file.ts';
import { createFactLoader, type FactLoader } from './fact-loader.ts';
import { warehouseAccess } from '../warehouse/index.ts';
import { createWarehouseFactLoader } from '../warehouse/decision-facts.ts';
import type { LoadedPolicy } from './policy-file.ts';
import { addToMix, emptyMix, type RuleMix } from './rule-mix.ts';

/**
 * Running decisions over the node's store: a few customers (the API, `--customer`), or a batch
 * (`--batch`, `--all`) streamed into a file written all-or-nothing. Only the node's own data and
 * the published results named by the policy are read; the output stays on the node. Each run
 * is logged locally as its rule mix (decision-log.ts), without customer ids.
 */

export interface DecideContext {
  db: Database.Database;
  identity: NodeIdentity;
  loaded: LoadedPolicy;
  now: Date;
}

/** The node's own tables, or its warehouse when it has a mapping (docs/warehouse.md). */
function loaderOf(c: DecideContext, wh = warehouseAccess(c.db)): FactLoader {
  const o = {
    db: c.db,
    identity: c.identity,
    policy: c.loaded.compiled,
    models: c.loaded.models,
    now: c.now,
  };
  if (wh === null) return createFactLoader(o);
  return createWarehouseFactLoader({ ...o, ...wh, overlay: wh.overlay('marketing', c.now) });
}

function log(c: DecideContext, source: 'api' | 'cli', mix: RuleMix): void {
  recordDecisionRun(c.db, {
    at: new Date().toISOString(),
    source,
    policyName: c.loaded.compiled.policy.name,
    policyHash: c.loaded.compiled.hash,
    mix,
  });
}

export function decideCustomers(
  c: DecideContext,
  customerIds: readonly string[],
  source: 'api' | 'cli'
): { decisions: Decision[]; mix: RuleMix } {
  const loader = loaderOf(c);
  const mix = emptyMix();
  const decisions = customerIds.map((id) => {
    const d = decide(c.loaded.compiled, loader.one(id), c.now);
    addToMix(mix, d);
    return d;
  });
  log(c, source, mix);
  return { decisions, mix };
}

export interface BatchOptions {
  out: string;
  /** Customer ids to decide; every customer of the store when absent. */
  customerIds?: readonly string[];
  onProgress?: (done: number, total: number) => void;
}

const PROGRESS_EVERY = 10_000;

/** Decides every listed (or stored) customer into `out`; returns the rule mix. */
export async function decideBatch(c: DecideContext, o: BatchOptions): Promise<RuleMix> {
  const wh = warehouseAccess(c.db);
  const loader = loaderOf(c, wh);
  const policy = c.loaded.compiled;
  const mix = emptyMix();
  // A warehouse node's customer count is not known before the stream ends: no percentage.
  const total =
    o.customerIds?.length ??
    (wh === null ? (c.db.prepare('SELECT count(*) FROM customers').pluck().get() as number) : 0);
  const csv = decisionFormat(o.out) === 'csv';
  const ids = o.customerIds;
  const facts = ids
    ? (function* () {
        for (const id of ids) yield loader.one(id);
      })()
    : loader.all();
  async function* lines(): AsyncGenerator<string> {
    if (csv) yield DECISION_CSV_HEADER;
    for (const f of facts) {
      const d = decide(policy, f, c.now);
      addToMix(mix, d);
      yield csv ? decisionToCsv(d) : decisionToJsonLine(d);
      if (mix.decisions % PROGRESS_EVERY === 0) {
        o.onProgress?.(mix.decisions, total);
        // Let a progress bar redraw and a signal be handled on long runs.
        await new Promise((r) => setImmediate(r));
      }
    }
  }
  await writeLinesAtomically(o.out, lines());
  o.onProgress?.(mix.decisions, total);
  log(c, 'cli', mix);
  return mix;
}
