import type Database from 'better-sqlite3';
import { z } from 'zod';
import {
  MemberSchema,
  ProtocolError,
  keyMembersHash,
  type Canonical,
  type LedgerEntry,
  type Member,
  type Policy,
} from '@fedmark/protocol';
import { appendLedgerEntry, listLedger } from '../ledger/index.ts';
import { hasHeKey, listHeKeyIds, loadHeKey } from '../crypto/index.ts';
import { TransientError } from './client.ts';

/**
 * Pinned membership (docs/federation-protocol.md "Key ceremony"): the member set of every key
 * epoch this node accepted lives in its own ledger (`members_accepted`), not in what the
 * coordinator says. Key tasks, job rounds and decryptions run only on an accepted epoch and
 * only with exactly its members.
 */

export interface AcceptedEpoch {
  keyId: string;
  members: Member[];
  membersHash: string;
  /** `installed`: a key installed before pinning existed (its he-keys file names the members). */
  decision: 'auto' | 'approved' | 'installed';
}

export interface PendingEpoch {
  keyId: string;
  members: Member[];
  membersHash: string;
  added: string[];
  removed: string[];
  /** Names pinned before with other signing or box keys: never accepted without the admin. */
  changedKeys: string[];
  reason: string;
  at: string;
}

/** A key task waiting for the admin: deferred (retried each poll), not failed. */
export class MembersPendingError extends TransientError {
  override readonly name = 'MembersPendingError';
}

const MembersBodySchema = z.object({
  keyId: z.string(),
  membersHash: z.string(),
  members: z.array(MemberSchema),
});

const keyNumber = (keyId: string): number => Number(keyId.slice(1));

function parseBody(e: LedgerEntry): z.infer<typeof MembersBodySchema> | undefined {
  const parsed = MembersBodySchema.safeParse(e.body);
  return parsed.success ? parsed.data : undefined;
}

/**
 * Every epoch this node accepted, by keyId: its `members_accepted` ledger entries and, with
 * `dir`, keys installed before pinning existed (the node wrote those files itself, so their
 * member lists are as trustworthy as the ledger; docs/federation-protocol.md "Key ceremony").
 */
export function acceptedEpochs(db: Database.Database, dir?: string): Map<string, AcceptedEpoch> {
  const out = new Map<string, AcceptedEpoch>();
  for (const e of listLedger(db, { type: 'members_accepted' })) {
    const b = parseBody(e);
    if (!b || out.has(b.keyId)) continue; // the first acceptance of an epoch is the one that holds
    out.set(b.keyId, { ...b, decision: e.body['decision'] === 'approved' ? 'approved' : 'auto' });
  }
  if (dir !== undefined) {
    for (const keyId of listHeKeyIds(dir)) {
      if (out.has(keyId)) continue;
      try {
        const key = loadHeKey(dir, keyId);
        key.secretKey.fill(0); // only the member list is needed here
        out.set(keyId, {
          keyId,
          members: key.members,
          membersHash: keyMembersHash(key.members),
          decision: 'installed',
        });
      } catch {
        // An unreadable key file pins nothing; loadHeKey's error shows up where the key is used.
      }
    }
  }
  return out;
}

/** Proposals waiting for `fedmark node members approve`, newest proposal per epoch. */
export function pendingEpochs(db: Database.Database): PendingEpoch[] {
  const accepted = acceptedEpochs(db);
  const latest = latestAccepted(accepted);
  const out = new Map<string, PendingEpoch>();
  const entries = [
    ...listLedger(db, { type: 'members_pending' }),
    ...listLedger(db, { type: 'members_refused' }).filter((e) => e.body['awaitingApproval']),
  ].sort((x, y) => x.seq - y.seq);
  for (const e of entries) {
    const b = parseBody(e);
    if (!b || accepted.has(b.keyId)) continue;
    if (latest && keyNumber(b.keyId) < keyNumber(latest.keyId)) continue;
    const names = (k: string) => (Array.isArray(e.body[k]) ? (e.body[k] as string[]) : []);
    out.set(b.keyId, {
      ...b,
      added: names('added'),
      removed: names('removed'),
      changedKeys: names('changedKeys'),
      reason: String(e.body['reason'] ?? ''),
      at: e.at,
    });
  }
  return [...out.values()].sort((x, y) => keyNumber(x.keyId) - keyNumber(y.keyId));
}

function latestAccepted(accepted: Map<string, AcceptedEpoch>): AcceptedEpoch | undefined {
  let best: AcceptedEpoch | undefined;
  for (const a of accepted.values())
    if (!best || keyNumber(a.keyId) > keyNumber(best.keyId)) best = a;
  return best;
}

/** How `members` differs from the accepted epochs: names added and removed since the latest, keys changed since any. */
function diffMembers(
  accepted: Map<string, AcceptedEpoch>,
  members: readonly Member[]
): { added: string[]; removed: string[]; changedKeys: string[] } {
  const known = new Map<string, Member>();
  const ordered = [...accepted.values()].sort((x, y) => keyNumber(x.keyId) - keyNumber(y.keyId));
  for (const a of ordered) for (const m of a.members) known.set(m.name, m);
  const latest = new Set(latestAccepted(accepted)?.members.map((m) => m.name) ?? []);
  const now = new Set(members.map((m) => m.name));
  return {
    added: [...now].filter((n) => !latest.has(n)).sort(),
    removed: [...latest].filter((n) => !now.has(n)).sort(),
    changedKeys: members
      .filter((m) => {
        const k = known.get(m.name);
        return k !== undefined && (k.signingKey !== m.signingKey || k.boxKey !== m.boxKey);
      })
      .map((m) => m.name)
      .sort(),
  };
}

/** Writes `type` for (keyId, membersHash) once: a task seen on every poll leaves one entry. */
function recordOnce(
  db: Database.Database,
  type: LedgerEntry['type'],
  body: Record<string, Canonical>
): void {
  const seen = listLedger(db, { type }).some(
    (e) => e.body['keyId'] === body['keyId'] && e.body['membersHash'] === body['membersHash']
  );
  if (!seen) appendLedgerEntry(db, { type, body });
}

export interface MembersContext {
  db: Database.Database;
  dir: string;
  policy: () => Policy;
  log: (event: string, detail?: Record<string, unknown>) => void;
}

/**
 * The member set of `keyId` as this node accepted it, or a refusal. A known epoch must come with
 * exactly its pinned members (KEY_MISMATCH otherwise). A new epoch is accepted now under policy
 * `members: 'auto'` unless it changes a pinned member's keys; otherwise it is recorded as
 * pending and the task is deferred until `fedmark node members approve`.
 */
export function requireAcceptedMembers(
  ctx: MembersContext,
  keyId: string,
  members: readonly Member[]
): Member[] {
  const accepted = acceptedEpochs(ctx.db, ctx.dir);
  const membersHash = keyMembersHash(members);
  const pinned = accepted.get(keyId);
  if (pinned) {
    if (pinned.membersHash === membersHash) return pinned.members;
    const reason = `the member set differs from the one this node accepted for ${keyId} (${names(pinned.members)}, got ${names(members)})`;
    recordOnce(ctx.db, 'members_refused', { keyId, membersHash, members, reason });
    throw new ProtocolError('KEY_MISMATCH', reason);
  }
  const latest = latestAccepted(accepted);
  if (latest && keyNumber(keyId) < keyNumber(latest.keyId)) {
    const reason = `key epoch ${keyId} is older than ${latest.keyId}, the latest this node accepted`;
    recordOnce(ctx.db, 'members_refused', { keyId, membersHash, members, reason });
    throw new ProtocolError('FORBIDDEN', reason);
  }
  const diff = diffMembers(accepted, members);
  const mode = ctx.policy().members;
  if (diff.changedKeys.length === 0 && mode === 'auto') {
    acceptEpoch(ctx.db, { keyId, members: [...members], membersHash }, 'auto', diff);
    ctx.log('members_accepted', { keyId, members: members.map((m) => m.name), decision: 'auto' });
    return [...members];
  }
  const reason =
    diff.changedKeys.length > 0
      ? `changed signing or box keys for ${diff.changedKeys.join(', ')}; refused unless the node admin approves`
      : `policy members: approve; waiting for the node admin`;
  const body = { keyId, membersHash, members, ...diff, reason };
  if (diff.changedKeys.length > 0)
    recordOnce(ctx.db, 'members_refused', { ...body, awaitingApproval: true });
  else recordOnce(ctx.db, 'members_pending', body);
  throw new MembersPendingError(
    `key epoch ${keyId} (${names(members)}) is not accepted: ${reason} (fedmark node members approve --epoch ${keyId})`
  );
}

function names(members: readonly Member[]): string {
  return members
    .map((m) => m.name)
    .sort()
    .join(', ');
}

function acceptEpoch(
  db: Database.Database,
  epoch: Omit<AcceptedEpoch, 'decision'>,
  decision: AcceptedEpoch['decision'],
  diff: { added: string[]; removed: string[]; changedKeys: string[] }
): void {
  appendLedgerEntry(db, {
    type: 'members_accepted',
    body: {
      keyId: epoch.keyId,
      membersHash: epoch.membersHash,
      members: epoch.members,
      decision,
      ...diff,
    },
  });
}

/**
 * The admin's approval of a pending epoch (`fedmark node members approve`). `membersHash`, when
 * given, must be the pending proposal's: the admin approves the member set they were shown.
 */
export function approveEpoch(
  db: Database.Database,
  opts: { keyId?: string; membersHash?: string }
): AcceptedEpoch {
  const pending = pendingEpochs(db);
  const target =
    opts.keyId !== undefined ? pending.find((p) => p.keyId === opts.keyId) : pending.at(-1);
  if (!target)
    throw new ProtocolError(
      'NOT_FOUND',
      opts.keyId !== undefined
        ? `no pending key epoch ${opts.keyId} (fedmark node members list)`
        : 'no key epoch is waiting for approval'
    );
  if (opts.membersHash !== undefined && !target.membersHash.startsWith(opts.membersHash))
    throw new ProtocolError(
      'CONFLICT',
      `pending epoch ${target.keyId} has members hash ${target.membersHash}, not ${opts.membersHash}: list again`
    );
  const epoch = { keyId: target.keyId, members: target.members, membersHash: target.membersHash };
  acceptEpoch(db, epoch, 'approved', target);
  return { ...epoch, decision: 'approved' };
}

/**
 * Job rounds, secure-aggregation phases and decryptions run only on an epoch this node accepted
 * and installed, and (when the task names them) only with its pinned members. Returns those
 * pinned members (with their signing and box keys), which is what every later check uses.
 */
export function requireInstalledEpoch(
  db: Database.Database,
  dir: string,
  keyId: string,
  members?: readonly Member[]
): Member[] {
  const pinned = acceptedEpochs(db, dir).get(keyId);
  if (!pinned || !hasHeKey(dir, keyId))
    throw new ProtocolError(
      'KEY_MISMATCH',
      `key epoch ${keyId} is not accepted and installed on this node`
    );
  if (members !== undefined && keyMembersHash(members) !== pinned.membersHash)
    throw new ProtocolError(
      'KEY_MISMATCH',
      `the task names members ${names(members)} for ${keyId}; this node accepted ${names(pinned.members)}`
    );
  const installed = loadHeKey(dir, keyId);
  installed.secretKey.fill(0); // only the member list is needed here
  if (keyMembersHash(installed.members) !== pinned.membersHash)
    throw new ProtocolError(
      'KEY_MISMATCH',
      `the installed key ${keyId} was made for other members`
    );
  return pinned.members;
}
