import type Database from 'better-sqlite3';
import { CompactMerkleTree, bytesToHex, hexToBytes } from '@fedmark/protocol';
import { consentSummary } from '../consent/index.ts';
import { loadCoordinatorKey } from '../federation/enroll.ts';
import { loadIdentity } from '../identity/index.ts';
import { ledgerLeafAccessor, listLedgerCheckpoints } from '../ledger/index.ts';
import type { LedgerRow } from '../ledger/_row.ts';
import { loadPolicy } from '../policy/index.ts';
import { budgetReport } from '../privacy/index.ts';
import { hasReleaseUnits, releaseNonMemberships, releaseUnitsReader } from '../release/index.ts';
import type { LedgerRowForm, LedgerSource } from './source.ts';

/** A stored ledger row joined with its private payload (null where there is none or it was erased). */
interface Row extends LedgerRow {
  salt: Uint8Array | null;
  payload: string | null;
}

function persistedState(db: Database.Database): { size: number; root: string } | null {
  try {
    const row = db.prepare('SELECT size, frontier FROM ledger_merkle_state WHERE id = 1').get() as
      | { size: number; frontier: Buffer }
      | undefined;
    if (!row) return null;
    const frontier: Uint8Array[] = [];
    for (let i = 0; i < row.frontier.length; i += 32)
      frontier.push(new Uint8Array(row.frontier.subarray(i, i + 32)));
    return {
      size: row.size,
      root: bytesToHex(new CompactMerkleTree(undefined, { size: row.size, frontier }).root()),
    };
  } catch {
    return null;
  }
}

/**
 * A node directory as audit input: identity.json (name and public key only are used),
 * coordinator.json, policy.json and node.db read directly, private payloads included (their
 * commitments are checked). The rows are read in one pass.
 */
export function directorySource(dir: string, db: Database.Database): LedgerSource {
  return {
    kind: 'directory',
    label: dir,
    facts: () => {
      const id = loadIdentity(dir);
      return Promise.resolve({
        name: id.name,
        signingKey: id.signing.publicKey,
        coordinatorKey: loadCoordinatorKey(dir) ?? null,
      });
    },
    async *rows(): AsyncGenerator<LedgerRowForm> {
      const it = db
        .prepare(
          `SELECT l.seq, l.type, l.at, l.subject, l.body, l.commitment, l.prev_hash, l.hash, p.salt, p.payload
           FROM ledger l LEFT JOIN ledger_private p ON p.seq = l.seq ORDER BY l.seq`
        )
        .iterate() as IterableIterator<Row>;
      for (const r of it) {
        yield {
          seq: r.seq,
          type: r.type,
          at: r.at,
          subject: r.subject,
          body: r.body,
          commitment: r.commitment,
          prevHash: r.prev_hash,
          hash: r.hash,
          private:
            r.salt !== null && r.payload !== null ? { salt: r.salt, payload: r.payload } : null,
        };
      }
    },
    checkpoints: () => Promise.resolve(listLedgerCheckpoints(db)),
    nodeHead: () => {
      const s = persistedState(db);
      return Promise.resolve(s ? { ...s, signed: null } : null);
    },
    policy: () => Promise.resolve(loadPolicy(dir)),
    consents: (at) => Promise.resolve(consentSummary(db, at)),
    budgets: (at) => Promise.resolve(budgetReport(db, loadPolicy(dir), at).budgets),
    units: {
      nonMembership: (seq, pseudonyms) => {
        if (!hasReleaseUnits(db, seq))
          return Promise.reject(new Error('release_units holds no rows for it'));
        return Promise.resolve(releaseNonMemberships(db, seq, pseudonyms.map(hexToBytes)));
      },
    },
    unitList: (seq) => (hasReleaseUnits(db, seq) ? releaseUnitsReader(db, seq).all() : null),
    leafAccessor: () => ledgerLeafAccessor(db),
  };
}
