import { ProtocolError, type Member } from '@fedmark/protocol';
import { Alert, CsrfField, Empty, type ConsoleSession } from '@fedmark/protocol/console';
import {
  acceptedEpochs,
  approveEpoch,
  pendingEpochs,
  type AcceptedEpoch,
  type PendingEpoch,
} from '../federation/members.ts';
import { loadPolicy } from '../policy/index.ts';
import type { NodeConsoleContext } from './context.ts';
import { ShortHex, Time } from './_format.tsx';

export interface MembersModel {
  mode: 'auto' | 'approve';
  accepted: AcceptedEpoch[];
  pending: PendingEpoch[];
  /** The epoch just approved (after the POST's redirect), if the URL names an accepted one. */
  approved: AcceptedEpoch | null;
}

export function loadMembers(ctx: NodeConsoleContext, approvedParam?: string): MembersModel {
  const accepted = acceptedEpochs(ctx.db, ctx.dir);
  return {
    mode: loadPolicy(ctx.dir).members,
    accepted: [...accepted.values()].reverse(),
    pending: pendingEpochs(ctx.db),
    approved: approvedParam !== undefined ? (accepted.get(approvedParam) ?? null) : null,
  };
}

/**
 * The admin action, as `fedmark node members approve --epoch --hash`: the form carries the
 * members hash the admin was shown, so a proposal the coordinator changed since is refused.
 */
export function approveFromForm(
  ctx: NodeConsoleContext,
  form: Record<string, unknown>
): AcceptedEpoch {
  const keyId = form['keyId'];
  const membersHash = form['membersHash'];
  if (typeof keyId !== 'string' || !/^k[1-9][0-9]{0,8}$/.test(keyId))
    throw new ProtocolError('BAD_REQUEST', 'keyId: expected a key id like k3');
  if (typeof membersHash !== 'string' || !/^[0-9a-f]{64}$/.test(membersHash))
    throw new ProtocolError('BAD_REQUEST', 'membersHash: expected 64 hex characters');
  return approveEpoch(ctx.db, { keyId, membersHash });
}

function MembersTable(p: { members: readonly Member[]; testId: string }) {
  return (
    <table data-testid={p.testId}>
      <thead>
        <tr>
          <th>Member</th>
          <th>Signing key (Ed25519)</th>
          <th>Box key (X25519)</th>
        </tr>
      </thead>
      <tbody>
        {p.members.map((m) => (
          <tr>
            <td>{m.name}</td>
            <td>
              <code>{m.signingKey}</code>
            </td>
            <td>
              <code>{m.boxKey}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function MembersView(p: { model: MembersModel; base: string; session: ConsoleSession }) {
  const { model } = p;
  return (
    <>
      {model.approved ? (
        <Alert kind="info">{`Approved key epoch ${model.approved.keyId}: the agent generates or installs its key on its next poll.`}</Alert>
      ) : null}
      <p data-testid="members-mode">
        {model.mode === 'approve'
          ? 'Policy members: approve. No key epoch is generated, sealed or installed before you approve its member set here or with fedmark node members approve.'
          : 'Policy members: auto. Added and removed members are accepted on first use; a changed key for a known member waits for your approval.'}
      </p>
      <h2>Waiting for approval</h2>
      {model.pending.length === 0 ? (
        <Empty>No key epoch is waiting.</Empty>
      ) : (
        model.pending.map((e) => (
          <section class="card" data-testid={`pending-${e.keyId}`}>
            <h3>{`${e.keyId}: ${e.reason}`}</h3>
            <p>
              {`Added [${e.added.join(', ')}], removed [${e.removed.join(', ')}], changed keys [${e.changedKeys.join(', ')}]. Proposed `}
              <Time iso={e.at} />
              {'. Members hash '}
              <ShortHex value={e.membersHash} />
            </p>
            <MembersTable members={e.members} testId={`pending-members-${e.keyId}`} />
            <p>
              Check every name and key against what that member's admin told you out of band: a
              member you approve receives the federation's HE secret key.
            </p>
            <form method="post" action={`${p.base}/members`} class="stack">
              <CsrfField session={p.session} />
              <input type="hidden" name="keyId" value={e.keyId} />
              <input type="hidden" name="membersHash" value={e.membersHash} />
              <button type="submit">{`Approve ${e.keyId}`}</button>
            </form>
          </section>
        ))
      )}
      <h2>Accepted key epochs</h2>
      {model.accepted.length === 0 ? (
        <Empty>No key epoch accepted yet.</Empty>
      ) : (
        model.accepted.map((e) => (
          <section class="card" data-testid={`accepted-${e.keyId}`}>
            <h3>{`${e.keyId} (${e.decision})`}</h3>
            <MembersTable members={e.members} testId={`accepted-members-${e.keyId}`} />
          </section>
        ))
      )}
    </>
  );
}
