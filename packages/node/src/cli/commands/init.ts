import { Option, type Command } from 'commander';
import { emit, type CliContext } from '../context.ts';
import { examples } from './_help.ts';

export function registerInit(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('init')
    .description(
      'create a node: SQLite database, identity keys (0600), pseudonym pepper, default policy'
    )
    .requiredOption('--dir <path>', 'node directory to create (must not hold a node yet)')
    .requiredOption('--name <name>', 'node name shown to the federation (letters, digits, . _ : -)')
    .addOption(
      new Option(
        '--members <mode>',
        'policy for new key epochs: approve (default; fedmark node members approve) or auto (demos, tests)'
      ).choices(['auto', 'approve'])
    )
    .option('--json', 'print the public identity as JSON')
    .action(
      async (o: { dir: string; name: string; members?: 'auto' | 'approve'; json?: boolean }) => {
        const { initNode } = await import('../../identity/index.ts');
        const pub = await initNode({
          dir: o.dir,
          name: o.name,
          ...(o.members ? { members: o.members } : {}),
        });
        emit(ctx, o.json, { dir: o.dir, ...pub }, () =>
          [
            `Initialised node "${pub.name}" in ${o.dir}`,
            `  signing key (Ed25519): ${pub.signingKey}`,
            `  box key (X25519):      ${pub.boxKey}`,
            'Secret keys and the pseudonym pepper are in identity.json (mode 0600): back it up, never share it.',
            'Next: import data (fedmark node import --help) or generate some (fedmark node synth --help).',
            '',
          ].join('\n')
        );
      }
    );
  examples(
    cmd,
    'fedmark node init --dir ./node-a --name retail-a',
    'fedmark node init --dir ./demo-a --name demo-a --members auto'
  );
}
