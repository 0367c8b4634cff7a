import type { Command } from 'commander';
import type { Member } from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { withNode } from '../node-context.ts';
import { examples } from './_help.ts';

function memberLines(members: readonly Member[]): string[] {
  return members.map((m) => `    ${m.name}  signing ${m.signingKey}  box ${m.boxKey}`);
}

/**
 * `fedmark node members list|approve`: the node admin's side of pinned membership
 * (docs/federation-protocol.md "Key ceremony"). With policy `members: approve`, the node does not
 * generate, seal or install a key epoch's keys until its member set is approved here.
 */
export function registerMembers(node: Command, ctx: CliContext): void {
  const members = node
    .command('members')
    .description(
      'key epoch member sets: list what this node accepted and what waits for approval, approve one'
    );

  const list = members
    .command('list')
    .description('show accepted key epochs and the pending ones with their members and keys')
    .requiredOption('--dir <path>', 'node directory')
    .option('--json', 'print as JSON')
    .action(async (o: { dir: string; json?: boolean }) => {
      const { acceptedEpochs, pendingEpochs } = await import('../../federation/members.ts');
      const { loadPolicy } = await import('../../policy/index.ts');
      await withNode(o.dir, ({ db }) => {
        const accepted = [...acceptedEpochs(db, o.dir).values()];
        const pending = pendingEpochs(db);
        const mode = loadPolicy(o.dir).members;
        emit(ctx, o.json, { policy: mode, accepted, pending }, () =>
          [
            `Policy members: ${mode}`,
            'Accepted key epochs:',
            ...(accepted.length === 0 ? ['  (none)'] : []),
            ...accepted.flatMap((a) => [
              `  ${a.keyId} (${a.decision}) members hash ${a.membersHash}`,
              ...memberLines(a.members),
            ]),
            'Waiting for approval:',
            ...(pending.length === 0 ? ['  (none)'] : []),
            ...pending.flatMap((p) => [
              `  ${p.keyId} members hash ${p.membersHash}: ${p.reason}`,
              `    added [${p.added.join(', ')}] removed [${p.removed.join(', ')}] changed keys [${p.changedKeys.join(', ')}]`,
              ...memberLines(p.members),
              `    approve: fedmark node members approve --dir ${o.dir} --epoch ${p.keyId} --hash ${p.membersHash.slice(0, 16)}`,
            ]),
            '',
          ].join('\n')
        );
      });
    });
  examples(list, 'fedmark node members list --dir ./node-a');

  const approve = members
    .command('approve')
    .description(
      'accept a pending key epoch: the node then generates or installs its key on the next poll'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option('--epoch <keyId>', 'the key epoch to approve (default: the newest pending one)')
    .option(
      '--hash <prefix>',
      'the members hash shown by list (prefix): refuses if the proposal changed since'
    )
    .option('--json', 'print the accepted epoch as JSON')
    .action(async (o: { dir: string; epoch?: string; hash?: string; json?: boolean }) => {
      const { approveEpoch } = await import('../../federation/members.ts');
      await withNode(o.dir, ({ db }) => {
        const a = approveEpoch(db, {
          ...(o.epoch !== undefined ? { keyId: o.epoch } : {}),
          ...(o.hash !== undefined ? { membersHash: o.hash } : {}),
        });
        emit(ctx, o.json, a, () =>
          [
            `Approved key epoch ${a.keyId} (members hash ${a.membersHash}):`,
            ...memberLines(a.members),
            'Recorded in the ledger (members_accepted); the agent picks it up on its next poll.',
            '',
          ].join('\n')
        );
      });
    });
  examples(
    approve,
    'fedmark node members approve --dir ./node-a --epoch k2',
    'fedmark node members approve --dir ./node-a --epoch k2 --hash 3f9c0a1b2c3d4e5f'
  );
}
