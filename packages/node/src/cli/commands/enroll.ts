import type { Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { tlsFingerprintOption, urlOption } from '../options.ts';
import { openNode } from '../node-context.ts';
import { examples } from './_help.ts';

export function registerEnroll(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('enroll')
    .description(
      "join a federation: send this node's public keys to the coordinator with a one-time enrollment token"
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--coordinator <url>', 'coordinator base URL', urlOption)
    .requiredOption(
      '--token <token>',
      'one-time enrollment token from the coordinator operator (64 hex)'
    )
    .option(
      '--tls-fingerprint <pin>',
      "the coordinator's TLS key pin, sha256:<hex> from its operator (needed for an https URL)",
      tlsFingerprintOption
    )
    .option('--json', 'print the enrollment result as JSON')
    .action(
      async (o: {
        dir: string;
        coordinator: string;
        token: string;
        tlsFingerprint?: string;
        json?: boolean;
      }) => {
        (await openNode(o.dir)).close(); // exit 15 with a clear message when --dir holds no node
        const { enrollNode } = await import('../../federation/index.ts');
        const r = await enrollNode({
          dir: o.dir,
          coordinatorUrl: o.coordinator,
          token: o.token,
          ...(o.tlsFingerprint !== undefined ? { tlsFingerprint: o.tlsFingerprint } : {}),
        });
        emit(ctx, o.json, { ...r, coordinatorUrl: o.coordinator }, () =>
          [
            `Enrolled node "${r.name}" with ${o.coordinator}`,
            `  coordinator signing key: ${r.coordinatorKey} (saved in coordinator.json)`,
            ...(o.tlsFingerprint ? [`  coordinator TLS key: ${o.tlsFingerprint} (pinned)`] : []),
            `Next: fedmark node serve --dir ${o.dir} --coordinator ${o.coordinator}`,
            '',
          ].join('\n')
        );
      }
    );
  examples(
    cmd,
    'fedmark node enroll --dir ./node-a --coordinator https://coordinator.example:7700 --token <64-hex token> --tls-fingerprint sha256:<hex>'
  );
}
