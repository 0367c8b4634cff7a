import type Database from 'better-sqlite3';
import { emptyMix, mergeMix, type RuleMix } from './rule-mix.ts';
import { schemaOnce } from '../store/_schema-once.ts';

/**
 * The node's local decision log (docs/decide.md "Decision log"): one row per API request or CLI
 * run with the policy that decided and its rule mix. It holds counts only, never a customer id
 * or attribute, so erasure has nothing to remove here and nothing in it is personal data. It is
 * not the ledger: decisions release nothing, they stay on the node.
 */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS decision_runs (
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  source TEXT NOT NULL CHECK (source IN ('api', 'cli')),
  policy_name TEXT NOT NULL,
  policy_hash TEXT NOT NULL,
  decisions INTEGER NOT NULL,
  mix TEXT NOT NULL
);`;

const ensure = schemaOnce(SCHEMA);

export interface DecisionRun {
  at: string;
  source: 'api' | 'cli';
  policyName: string;
  policyHash: string;
  mix: RuleMix;
}

export function recordDecisionRun(db: Database.Database, run: DecisionRun): void {
  ensure(db);
  db.prepare(
    'INSERT INTO decision_runs (at, source, policy_name, policy_hash, decisions, mix) VALUES (?, ?, ?, ?, ?, ?)'
  ).run(
    run.at,
    run.source,
    run.policyName,
    run.policyHash,
    run.mix.decisions,
    JSON.stringify(run.mix)
  );
}

/** The latest runs, newest first. */
export function listDecisionRuns(db: Database.Database, limit = 20): DecisionRun[] {
  ensure(db);
  const rows = db
    .prepare(
      'SELECT at, source, policy_name, policy_hash, mix FROM decision_runs ORDER BY id DESC LIMIT ?'
    )
    .all(limit) as {
    at: string;
    source: 'api' | 'cli';
    policy_name: string;
    policy_hash: string;
    mix: string;
  }[];
  return rows.map((r) => ({
    at: r.at,
    source: r.source,
    policyName: r.policy_name,
    policyHash: r.policy_hash,
    mix: JSON.parse(r.mix) as RuleMix,
  }));
}

/** The rule mix over every logged run since `sinceIso` (all runs without it). */
export function totalMix(db: Database.Database, sinceIso?: string): RuleMix {
  ensure(db);
  const rows = db
    .prepare('SELECT mix FROM decision_runs WHERE at >= ?')
    .pluck()
    .all(sinceIso ?? '') as string[];
  return rows.reduce((m, r) => mergeMix(m, JSON.parse(r) as RuleMix), emptyMix());
}
