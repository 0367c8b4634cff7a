import { Empty, Facts } from '@fedmark/protocol/console';
import { bytesToHex, type CheckpointRefusal, type LoggedCheckpoint } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { logRootHex, type TransparencyLog } from '../transparency/log-store.ts';
import { fmtTime, shortHex } from './format.ts';
import { PATHS } from './paths.ts';

export interface NodeLogRow {
  node: string;
  checkpoints: number;
  latest: LoggedCheckpoint | null;
  refusals: number;
}

export interface TransparencyView {
  treeSize: number;
  rootHash: string;
  coordinatorKey: string;
  nodes: NodeLogRow[];
  refusals: CheckpointRefusal[];
}

/** The log head, each admitted node's checkpoints (count and latest), and every recorded refusal. */
export function loadTransparencyView(ctx: Ctx, log: TransparencyLog): TransparencyView {
  const refusals = log.refusals();
  const names = [
    ...new Set([...ctx.store.nodes.list().map((n) => n.name), ...refusals.map((r) => r.node)]),
  ].sort();
  return {
    treeSize: log.tree.size,
    rootHash: logRootHex(log),
    coordinatorKey: bytesToHex(ctx.coordinatorKey.publicKey),
    nodes: names.map((node) => {
      const all = log.listFor(node);
      return {
        node,
        checkpoints: all.length,
        latest: all.at(-1) ?? null,
        refusals: refusals.filter((r) => r.node === node).length,
      };
    }),
    refusals,
  };
}

/** Every checkpoint logged for one node, oldest first. */
export function loadNodeCheckpointsView(
  log: TransparencyLog,
  node: string
): { node: string; checkpoints: LoggedCheckpoint[]; refusals: CheckpointRefusal[] } {
  return { node, checkpoints: log.listFor(node), refusals: log.refusals(node) };
}

export function RefusalTable(p: { refusals: readonly CheckpointRefusal[] }) {
  return p.refusals.length === 0 ? (
    <Empty>
      No checkpoint was refused: every node's history so far extends its previous checkpoint.
    </Empty>
  ) : (
    <table data-testid="refusals-table">
      <thead>
        <tr>
          <th scope="col">Node</th>
          <th scope="col">When</th>
          <th scope="col">Reason</th>
          <th scope="col" class="num">
            Previous size
          </th>
          <th scope="col">Previous root</th>
          <th scope="col" class="num">
            Refused size
          </th>
          <th scope="col">Refused root</th>
        </tr>
      </thead>
      <tbody>
        {p.refusals.map((r) => (
          <tr>
            <td>{r.node}</td>
            <td>{fmtTime(r.at)}</td>
            <td>{r.reason}</td>
            <td class="num">{r.previousTreeSize}</td>
            <td>
              <code title={r.previousRootHash}>{shortHex(r.previousRootHash)}</code>
            </td>
            <td class="num">{r.treeSize}</td>
            <td>
              <code title={r.rootHash}>{shortHex(r.rootHash)}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TransparencyPage(v: TransparencyView) {
  return (
    <>
      <section class="card">
        <h2>Log head</h2>
        <Facts
          items={[
            ['Tree size', <span data-testid="log-size">{String(v.treeSize)}</span>],
            ['Root hash', <code>{v.rootHash}</code>],
            ['Coordinator key', <code>{v.coordinatorKey}</code>],
          ]}
        />
        <p class="muted">
          Verify rather than trust this page: <code>fedmark audit verify</code> checks each node's
          checkpoints against this log with inclusion and consistency proofs (GET /v1/transparency/*
          with the auditor token). Pin the coordinator key from the node's enrollment, not from
          here.
        </p>
      </section>
      <section>
        <h2>Checkpoints per node</h2>
        {v.nodes.length === 0 ? (
          <Empty>No nodes yet, so no checkpoints.</Empty>
        ) : (
          <table data-testid="checkpoints-table">
            <thead>
              <tr>
                <th scope="col">Node</th>
                <th scope="col" class="num">
                  Checkpoints
                </th>
                <th scope="col" class="num">
                  Latest ledger size
                </th>
                <th scope="col">Latest root</th>
                <th scope="col">Signed at</th>
                <th scope="col" class="num">
                  Log index
                </th>
                <th scope="col" class="num">
                  Refusals
                </th>
              </tr>
            </thead>
            <tbody>
              {v.nodes.map((n) => (
                <tr>
                  <td>
                    <a href={PATHS.nodeCheckpoints(n.node)}>{n.node}</a>
                  </td>
                  <td class="num">{n.checkpoints}</td>
                  <td class="num">{n.latest ? n.latest.checkpoint.treeSize : '-'}</td>
                  <td>
                    {n.latest ? (
                      <code title={n.latest.checkpoint.rootHash}>
                        {shortHex(n.latest.checkpoint.rootHash)}
                      </code>
                    ) : (
                      'no checkpoint yet'
                    )}
                  </td>
                  <td>{fmtTime(n.latest?.checkpoint.timestamp)}</td>
                  <td class="num">{n.latest ? n.latest.logIndex : '-'}</td>
                  <td class="num">{n.refusals}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Refused checkpoints</h2>
        <RefusalTable refusals={v.refusals} />
      </section>
    </>
  );
}

export function NodeCheckpointsPage(v: {
  node: string;
  checkpoints: LoggedCheckpoint[];
  refusals: CheckpointRefusal[];
}) {
  return (
    <>
      <p>
        <a href={PATHS.transparency}>Back to the transparency log</a>
      </p>
      <section>
        <h2>Logged checkpoints</h2>
        {v.checkpoints.length === 0 ? (
          <Empty>No checkpoint logged for this node yet.</Empty>
        ) : (
          <table data-testid="node-checkpoints-table">
            <thead>
              <tr>
                <th scope="col" class="num">
                  Log index
                </th>
                <th scope="col" class="num">
                  Ledger size
                </th>
                <th scope="col">Root hash</th>
                <th scope="col">Signed by the node at</th>
                <th scope="col">Received</th>
              </tr>
            </thead>
            <tbody>
              {v.checkpoints.map((c) => (
                <tr>
                  <td class="num">{c.logIndex}</td>
                  <td class="num">{c.checkpoint.treeSize}</td>
                  <td>
                    <code>{c.checkpoint.rootHash}</code>
                  </td>
                  <td>{fmtTime(c.checkpoint.timestamp)}</td>
                  <td>{fmtTime(c.receipt.receivedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section>
        <h2>Refused checkpoints</h2>
        <RefusalTable refusals={v.refusals} />
      </section>
    </>
  );
}
