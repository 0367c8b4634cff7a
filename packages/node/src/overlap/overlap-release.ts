import {
  canonicalHash,
  epsilonToMicro,
  overlapNoiseDelta,
  type Canonical,
  type LedgerEntry,
  type OverlapJobSpec,
  type Policy,
} from '@fedmark/protocol';
import type Database from 'better-sqlite3';
import { appendLedgerEntry } from '../ledger/index.ts';
import type { NodeIdentity } from '../identity/index.ts';
import { chargeBudget } from '../privacy/budget.ts';
import { commitUnits } from '../release/_units-commit.ts';
import { storeReleaseUnits } from '../release/release-units.ts';
import { putOverlapAnswer, type OverlapAnswer } from './overlap-answers.ts';

export interface OverlapReleaseRecord {
  jobId: string;
  pair: number;
  spec: OverlapJobSpec;
  role: 'initiator' | 'responder';
  peer: string;
  bound: number;
  /** Customers whose keys went into the set: committed, so an audit can prove erasures held. */
  customers: readonly string[];
  /** The initiator's published figure (absent for the responder, which learns nothing). */
  raw?: number;
  answer: { step: string } & OverlapAnswer;
}

/**
 * Records one node's part in an overlap figure (docs/overlap.md "Accounting"): a `release` ledger
 * entry of kind overlap (role, peer, epsilon, the truncation's delta, and the RFC 6962 root over
 * the pseudonyms of the customers matched), the budget charge for the spec's epsilon, and the
 * answer to send, all in one IMMEDIATE transaction: if anything throws, nothing is written.
 * Both nodes pay: one customer at either side moves the figure by at most 1.
 */
export function recordOverlapRelease(
  db: Database.Database,
  identity: Pick<NodeIdentity, 'pepper'>,
  policy: Policy,
  r: OverlapReleaseRecord
): LedgerEntry {
  const epsilonMicro = epsilonToMicro(r.spec.overlap.epsilon);
  const units = commitUnits(identity.pepper, r.customers);
  const at = new Date();
  return db
    .transaction((): LedgerEntry => {
      const entry = appendLedgerEntry(db, {
        type: 'release',
        body: {
          jobId: r.jobId,
          round: r.pair,
          kind: 'overlap',
          role: r.role,
          peer: r.peer,
          purpose: r.spec.overlap.purpose,
          matchingKey: r.spec.overlap.matchingKey,
          epsilonMicro,
          mechanism: 'psi-truncated-laplace',
          bound: r.bound,
          delta: r.spec.noise === 'on' ? overlapNoiseDelta(epsilonMicro, r.bound) : 0,
          noise: r.spec.noise,
          valuesHash:
            r.raw === undefined
              ? null
              : canonicalHash('release-values', [String(r.raw)] as Canonical),
          unitsRoot: units.root,
          unitsCount: units.count,
        },
        at,
      });
      storeReleaseUnits(db, entry.seq, units);
      chargeBudget(db, policy, {
        purpose: r.spec.overlap.purpose,
        epsilonMicro,
        jobId: r.jobId,
        round: r.pair,
        at,
        ledgerSeq: entry.seq,
      });
      putOverlapAnswer(db, r.jobId, r.pair, r.answer.step, {
        path: r.answer.path,
        body: r.answer.body,
      });
      return entry;
    })
    .immediate();
}
