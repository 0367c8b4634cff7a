import { Badge, Empty } from '@fedmark/protocol/console';
import type { Ctx } from '../context.ts';
import type { EpochRecord, NodeRecord } from '../store/index.ts';
import { ago, fmtTime, shortHex } from './format.ts';

/**
 * A node polls for tasks every few seconds while it serves (`--poll-ms`, default well under a
 * second to a few seconds), so a minute of silence means it is not running or cannot reach us.
 */
export const ONLINE_WINDOW_MS = 60_000;

export type NodeStatus = 'online' | 'offline' | 'never seen' | 'removed';

export interface NodeRow {
  name: string;
  status: NodeStatus;
  lastSeenAt: string | null;
  admittedAt: string;
  signingKey: string;
  /** The newest key epoch the node is a member of, and whether it holds that epoch's key. */
  epoch: { keyId: string; state: string; installed: boolean } | null;
}

export interface EpochRow {
  keyId: string;
  state: string;
  generator: string;
  members: string[];
  installed: string[];
  publicKeyHash: string | null;
  createdAt: string;
}

export interface NodesView {
  now: number;
  nodes: NodeRow[];
  epochs: EpochRow[];
}

function installedBy(e: EpochRecord): string[] {
  // The generator holds the key once its bundle arrived; every other member once it acked.
  return e.members
    .map((m) => m.name)
    .filter((n) => (n === e.generator ? e.publicKeyHash !== null : e.acked.includes(n)));
}

function statusOf(n: NodeRecord, now: number): NodeStatus {
  if (n.removedAt) return 'removed';
  if (!n.lastSeenAt) return 'never seen';
  return now - Date.parse(n.lastSeenAt) <= ONLINE_WINDOW_MS ? 'online' : 'offline';
}

/** Nodes (current first, then removed) with their key epoch, and every key epoch, newest first. */
export function loadNodesView(ctx: Ctx): NodesView {
  const now = ctx.now();
  const epochs = [...ctx.store.keys.list()].sort((a, b) => b.seq - a.seq);
  const nodes = ctx.store.nodes
    .list()
    .map((n): NodeRow => {
      const e = epochs.find((x) => x.members.some((m) => m.name === n.name));
      return {
        name: n.name,
        status: statusOf(n, now),
        lastSeenAt: n.lastSeenAt,
        admittedAt: n.admittedAt,
        signingKey: n.signingKey,
        epoch: e
          ? { keyId: e.keyId, state: e.state, installed: installedBy(e).includes(n.name) }
          : null,
      };
    })
    .sort(
      (a, b) =>
        Number(a.status === 'removed') - Number(b.status === 'removed') ||
        a.name.localeCompare(b.name)
    );
  return {
    now,
    nodes,
    epochs: epochs.map((e) => ({
      keyId: e.keyId,
      state: e.state,
      generator: e.generator,
      members: e.members.map((m) => m.name),
      installed: installedBy(e),
      publicKeyHash: e.publicKeyHash,
      createdAt: e.createdAt,
    })),
  };
}

const TONE: Record<NodeStatus, 'good' | 'bad' | 'warn' | undefined> = {
  online: 'good',
  offline: 'bad',
  'never seen': 'warn',
  removed: undefined,
};
const EPOCH_TONE: Record<string, 'good' | 'warn' | undefined> = {
  active: 'good',
  generating: 'warn',
  installing: 'warn',
};

export function NodesPage(v: NodesView) {
  return (
    <>
      <section>
        <h2>Members</h2>
        {v.nodes.length === 0 ? (
          <Empty>
            No nodes admitted yet. Admit one with "fedmark coordinator admit" or give it an
            enrollment token.
          </Empty>
        ) : (
          <table data-testid="nodes-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Last seen</th>
                <th scope="col">Key epoch</th>
                <th scope="col">Signing key</th>
                <th scope="col">Admitted</th>
              </tr>
            </thead>
            <tbody>
              {v.nodes.map((n) => (
                <tr>
                  <td>{n.name}</td>
                  <td>
                    <Badge tone={TONE[n.status]}>{n.status}</Badge>
                  </td>
                  <td title={fmtTime(n.lastSeenAt)}>{ago(n.lastSeenAt, v.now)}</td>
                  <td>
                    {n.epoch
                      ? `${n.epoch.keyId} (${n.epoch.state}; ${n.epoch.installed ? 'key installed' : 'key not installed yet'})`
                      : '-'}
                  </td>
                  <td>
                    <code title={n.signingKey}>{shortHex(n.signingKey)}</code>
                  </td>
                  <td>{fmtTime(n.admittedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Key epochs</h2>
        {v.epochs.length === 0 ? (
          <Empty>No key epochs yet: the first admission starts one.</Empty>
        ) : (
          <table data-testid="epochs-table">
            <thead>
              <tr>
                <th scope="col">Key id</th>
                <th scope="col">State</th>
                <th scope="col">Generator</th>
                <th scope="col">Members (key installed)</th>
                <th scope="col">Public key hash</th>
                <th scope="col">Started</th>
              </tr>
            </thead>
            <tbody>
              {v.epochs.map((e) => (
                <tr>
                  <td>{e.keyId}</td>
                  <td>
                    <Badge tone={EPOCH_TONE[e.state]}>{e.state}</Badge>
                  </td>
                  <td>{e.generator}</td>
                  <td>
                    {e.members.map((m) => (e.installed.includes(m) ? `${m} ✓` : m)).join(', ')} (
                    {e.installed.length}/{e.members.length})
                  </td>
                  <td>
                    <code title={e.publicKeyHash ?? ''}>{shortHex(e.publicKeyHash)}</code>
                  </td>
                  <td>{fmtTime(e.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
}
