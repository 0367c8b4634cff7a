import { Alert, CsrfField, Empty, Facts, type ConsoleSession } from '@fedmark/protocol/console';
import {
  createLedgerCheckpoint,
  listLedgerCheckpoints,
  type StoredCheckpoint,
} from '../ledger/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { ShortHex, Time } from './_format.tsx';
import { CheckpointsTable } from './verification-page.tsx';

/** Stored checkpoints listed under the form (newest first). */
export const RECENT_CHECKPOINTS = 100;

export interface CheckpointsModel {
  /** The checkpoint just signed (after the POST's redirect), if the URL names one that exists. */
  signed: StoredCheckpoint | null;
  recent: StoredCheckpoint[];
  total: number;
}

/** The admin action: signs a checkpoint of the ledger as it is now (the existing ledger function). */
export function signCheckpointNow(ctx: NodeConsoleContext): StoredCheckpoint {
  return createLedgerCheckpoint(ctx.db, ctx.identity, ctx.now());
}

export function loadCheckpoints(
  ctx: NodeConsoleContext,
  signedParam: string | undefined
): CheckpointsModel {
  const all = listLedgerCheckpoints(ctx.db);
  const id =
    signedParam !== undefined && /^\d{1,15}$/.test(signedParam) ? Number(signedParam) : null;
  return {
    signed: id === null ? null : (all.find((s) => s.id === id) ?? null),
    recent: all.slice(-RECENT_CHECKPOINTS).reverse(),
    total: all.length,
  };
}

export function CheckpointsView(p: {
  model: CheckpointsModel;
  base: string;
  session: ConsoleSession;
}) {
  const s = p.model.signed;
  return (
    <>
      {s ? (
        <section class="card" data-testid="checkpoint-signed">
          <Alert kind="info">{`Signed checkpoint #${s.id} of ${s.checkpoint.treeSize} ledger entries.`}</Alert>
          <Facts
            items={[
              ['Origin', s.checkpoint.origin],
              ['Tree size', String(s.checkpoint.treeSize)],
              ['Root hash', <ShortHex value={s.checkpoint.rootHash} />],
              ['Timestamp', <Time iso={s.checkpoint.timestamp} />],
              ['Signature (Ed25519)', <ShortHex value={s.checkpoint.signature} />],
              [
                'Coordinator receipt',
                s.receipt
                  ? `log index ${s.receipt.logIndex}`
                  : 'not yet: the federation agent sends checkpoints to the coordinator when one is due',
              ],
            ]}
          />
        </section>
      ) : null}
      <section class="card">
        <form
          class="stack"
          method="post"
          action={`${p.base}/checkpoints`}
          data-testid="checkpoint-form"
        >
          <CsrfField session={p.session} />
          <p>
            Signs an RFC 6962 tree head of the ledger as it is now with the node's key and stores
            it. The node also does this by itself at every release and at least hourly while it
            serves a coordinator.
          </p>
          <button type="submit">Sign a checkpoint now</button>
        </form>
      </section>
      <h2>Recent checkpoints</h2>
      {p.model.recent.length === 0 ? (
        <Empty>No checkpoint signed yet.</Empty>
      ) : (
        <>
          {p.model.total > p.model.recent.length ? (
            <p class="muted">{`The newest ${p.model.recent.length} of ${p.model.total}.`}</p>
          ) : null}
          <CheckpointsTable checkpoints={p.model.recent} testId="recent-checkpoints" />
        </>
      )}
    </>
  );
}
