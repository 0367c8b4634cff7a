import type Database from 'better-sqlite3';
import {
  ProtocolError,
  bytesToHex,
  type Member,
  type Policy,
  type SegmentQuery,
} from '@fedmark/protocol';
import type { NodeIdentity } from '../identity/index.ts';
import type { UnitSource } from '../analytics/types.ts';
import type { Release, ReleaseRequest as SegmentReleaseRequest } from '../release/index.ts';
import type { AgentLog, CoordinatorClient } from './client.ts';
import type { PsiRuns } from '../overlap/psi-run-secrets.ts';

/** What the node's release path returns (packages/node/src/release). `rows` never leaves the node. */
export type ReleaseResult = Omit<Release, 'noise'>;

/** A segment_stats release as the agent asks for it: the release path's request without `at` (the agent releases now). */
export type ReleaseRequest = Omit<SegmentReleaseRequest, 'at'>;

/** The node's release path: policy, budget, noise and the release ledger entry, idempotent per job+round. */
export type ReleaseFn = (
  ctx: { db: Database.Database; identity: NodeIdentity; policy: Policy },
  req: ReleaseRequest
) => ReleaseResult | Promise<ReleaseResult>;

export interface AgentContext {
  dir: string;
  identity: NodeIdentity;
  db: Database.Database;
  client: CoordinatorClient;
  log: AgentLog;
  release: ReleaseFn;
  policy: () => Policy;
  source: (query: SegmentQuery) => UnitSource;
  now: () => number;
  /** Coordinator's Ed25519 key from enrollment (coordinator.json), to check receipts; absent if admitted manually. */
  coordinatorKey?: Uint8Array;
  /** Initiator secrets of overlap pairs between request and count (in memory only). */
  psiRuns?: PsiRuns;
}

/** This node's entry in a member list; refuses a list that omits it or names it with other keys. */
export function selfMember(identity: NodeIdentity, members: readonly Member[]): Member {
  const me = members.find((m) => m.name === identity.name);
  if (!me)
    throw new ProtocolError(
      'FORBIDDEN',
      `this node (${identity.name}) is not a member of the key epoch`
    );
  if (
    me.signingKey !== bytesToHex(identity.signing.publicKey) ||
    me.boxKey !== bytesToHex(identity.box.publicKey)
  ) {
    throw new ProtocolError(
      'KEY_MISMATCH',
      `the member list names ${identity.name} with keys that are not this node's`
    );
  }
  return me;
}
