import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import {
  PolicySchema,
  ProtocolError,
  canonicalHash,
  type Canonical,
  type LedgerEntry,
  type Policy,
} from '@fedmark/protocol';
import { appendLedgerEntry } from '../ledger/index.ts';
import { POLICY_FILE } from '../identity/index.ts';

/** The policy as parsed with every default filled in (what `fedmark node init` writes). */
export function defaultPolicy(): Policy {
  return PolicySchema.parse({});
}

/** SHA-256 over the canonical policy: auditors compare it with the ledger's policy_change entries. */
export function policyHash(policy: Policy): string {
  return canonicalHash('node-policy', policy as unknown as Canonical);
}

const TOP_FIELDS = new Set(Object.keys(PolicySchema.shape));
const RULE_FIELDS = new Set(['purpose', 'period', 'epsilon']);

/**
 * Unknown fields are refused, not dropped: a typo such as "minCohorts" would otherwise leave the
 * default in force while the operator believes the stricter value applies.
 */
function unknownField(json: unknown): string | null {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return null;
  for (const k of Object.keys(json)) if (!TOP_FIELDS.has(k)) return k;
  const budgets = (json as { budgets?: unknown }).budgets;
  if (Array.isArray(budgets)) {
    for (const [i, rule] of budgets.entries()) {
      if (typeof rule !== 'object' || rule === null) continue;
      for (const k of Object.keys(rule)) if (!RULE_FIELDS.has(k)) return `budgets[${i}].${k}`;
    }
  }
  return null;
}

function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, p) => (typeof p === 'number' ? `${s}[${p}]` : s ? `${s}.${String(p)}` : String(p)),
    ''
  );
}

/** Validates a policy value; errors name the source and the field. */
export function parsePolicy(json: unknown, source = 'policy'): Policy {
  const extra = unknownField(json);
  if (extra !== null) throw new ProtocolError('BAD_REQUEST', `${source}: unknown field "${extra}"`);
  const parsed = PolicySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue ? fieldPath(issue.path) || '(top level)' : '(top level)';
    throw new ProtocolError(
      'BAD_REQUEST',
      `${source}: field "${where}": ${issue?.message ?? 'invalid'}`
    );
  }
  return parsed.data;
}

function lineColumn(text: string, err: unknown): string {
  const m = /position (\d+)/.exec(err instanceof Error ? err.message : '');
  if (!m) return '';
  const pos = Number(m[1]);
  const before = text.slice(0, pos).split('\n');
  return ` at line ${before.length}, column ${(before[before.length - 1]?.length ?? 0) + 1}`;
}

/** Reads and validates `<dir>/policy.json`. */
export function loadPolicy(dir: string): Policy {
  const file = join(dir, POLICY_FILE);
  if (!existsSync(file))
    throw new ProtocolError(
      'NOT_FOUND',
      `${file}: no policy file (run "fedmark node init --dir ${dir}" first)`
    );
  const text = readFileSync(file, 'utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProtocolError('BAD_REQUEST', `${file}: not valid JSON${lineColumn(text, err)}`);
  }
  return parsePolicy(json, file);
}

export interface PolicyChange {
  field: string;
  from: Canonical;
  to: Canonical;
}

export interface SavePolicyResult {
  policy: Policy;
  hash: string;
  changed: PolicyChange[];
  /** The policy_change ledger entry; null when nothing changed (nothing is written then). */
  entry: LedgerEntry | null;
}

/**
 * Validates and saves a new policy, recording a `policy_change` ledger entry (new and previous
 * hash, each changed field with its old and new value, the reason). The file is written to a
 * temporary name and renamed inside the ledger transaction: if the rename fails the entry is
 * rolled back, and a reader never sees a half-written policy.
 */
export function savePolicy(
  dir: string,
  db: Database.Database,
  policy: unknown,
  opts: { at?: Date; reason?: string } = {}
): SavePolicyResult {
  const next = parsePolicy(policy, 'policy');
  const file = join(dir, POLICY_FILE);
  // A broken file must not block its own repair: it counts as "no previous policy", and the
  // ledger entry says the previous file was invalid.
  let prev: Policy | null = null;
  let previousInvalid = false;
  if (existsSync(file)) {
    try {
      prev = loadPolicy(dir);
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      previousInvalid = true;
    }
  }
  const changed: PolicyChange[] = [];
  for (const key of Object.keys(next) as (keyof Policy)[]) {
    const from = (prev ? prev[key] : null) as unknown as Canonical;
    const to = next[key] as unknown as Canonical;
    if (JSON.stringify(from) !== JSON.stringify(to))
      changed.push({ field: key, from: from ?? null, to });
  }
  const hash = policyHash(next);
  if (changed.length === 0 && !previousInvalid) return { policy: next, hash, changed, entry: null };
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  writeFileSync(tmp, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o644, flag: 'wx' });
  try {
    const entry = db
      .transaction((): LedgerEntry => {
        const e = appendLedgerEntry(db, {
          type: 'policy_change',
          body: {
            policyHash: hash,
            previousHash: prev ? policyHash(prev) : null,
            ...(previousInvalid ? { previousInvalid: true } : {}),
            changed: changed.map((c) => ({ field: c.field, from: c.from, to: c.to })),
            reason: opts.reason ?? null,
          },
          ...(opts.at ? { at: opts.at } : {}),
        });
        renameSync(tmp, file);
        return e;
      })
      .immediate();
    return { policy: next, hash, changed, entry };
  } finally {
    rmSync(tmp, { force: true });
  }
}
