import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CoordinatorPublicKeyFileSchema,
  PublicKeyHexSchema,
  type NodePublicKeysFile,
} from '@fedmark/protocol';
import { emit, type CliContext } from '../context.ts';
import { CliError, EXIT } from '../exit-codes.ts';
import { tlsFingerprintOption, urlOption } from '../options.ts';
import { openNode } from '../node-context.ts';
import { examples } from './_help.ts';
import { parseFileValue, readJsonFile } from './_query-file.ts';

/**
 * `fedmark node keys` and `fedmark node pin-coordinator`: the two halves of joining a federation
 * by admission (docs/federation-protocol.md, "Admission"). Only public keys are shown or read.
 */
export function registerKeys(node: Command, ctx: CliContext): void {
  const keys = node
    .command('keys')
    .description(
      "show this node's public keys, the operator's command to admit it, and the coordinator key it pinned"
    )
    .requiredOption('--dir <path>', 'node directory')
    .option(
      '--out <file>',
      'also write the public keys to a file for the operator (coordinator admit --keys FILE)'
    )
    .option('--json', 'print the public keys as JSON')
    .action(async (o: { dir: string; out?: string; json?: boolean }) => {
      (await openNode(o.dir)).close(); // exit 15 with a clear message when --dir holds no node
      const { admissionCommand, pinnedCoordinator } = await import('../../federation/index.ts');
      const { loadIdentity, publicIdentity } = await import('../../identity/index.ts');
      const pub = publicIdentity(loadIdentity(o.dir));
      const file: NodePublicKeysFile = { version: 1, kind: 'fedmark-node-public-keys', ...pub };
      if (o.out) writeFileSync(o.out, `${JSON.stringify(file, null, 2)}\n`);
      const pinned = pinnedCoordinator(o.dir);
      emit(ctx, o.json, { ...file, pinnedCoordinator: pinned ?? null }, () =>
        [
          `Node "${pub.name}" in ${o.dir}`,
          `  signing key (Ed25519): ${pub.signingKey}`,
          `  box key (X25519):      ${pub.boxKey}`,
          ...(o.out
            ? [`Public keys written to ${o.out}: send that file to the coordinator's operator.`]
            : []),
          'The operator admits this node with:',
          `  ${o.out ? `fedmark coordinator admit --dir <coordinator dir> --keys ${o.out}` : admissionCommand(o.dir)}`,
          pinned
            ? `Pinned coordinator: ${pinned.url}, signing key ${pinned.coordinatorKey}`
            : 'No coordinator key pinned yet: fedmark node pin-coordinator --help',
          '',
        ].join('\n')
      );
    });
  examples(
    keys,
    'fedmark node keys --dir ./node-a',
    'fedmark node keys --dir ./node-a --out node-a.keys.json'
  );

  const pin = node
    .command('pin-coordinator')
    .description(
      "pin the coordinator's signing key (from its operator, out of band) so the node checks what the coordinator signs"
    )
    .requiredOption('--dir <path>', 'node directory')
    .requiredOption('--coordinator <url>', 'coordinator base URL', urlOption)
    .option(
      '--key <hex>',
      "coordinator's Ed25519 public key (64 hex), as printed by fedmark coordinator init or keys"
    )
    .option('--keys <file>', 'or the file written by fedmark coordinator keys --out')
    .option(
      '--tls-fingerprint <pin>',
      "the coordinator's TLS key pin, sha256:<hex> (in the --keys file when it has one)",
      tlsFingerprintOption
    )
    .option('--json', 'print the pinned key as JSON')
    .action(
      async (o: {
        dir: string;
        coordinator: string;
        key?: string;
        keys?: string;
        tlsFingerprint?: string;
        json?: boolean;
      }) => {
        if ((o.key === undefined) === (o.keys === undefined))
          throw new CliError(EXIT.USAGE, 'give exactly one of --key <hex> or --keys <file>');
        const file =
          o.keys !== undefined
            ? parseFileValue(o.keys, CoordinatorPublicKeyFileSchema, readJsonFile(o.keys))
            : undefined;
        const key = file?.signingKey ?? o.key!;
        const tlsFingerprint = o.tlsFingerprint ?? file?.tlsFingerprint;
        if (
          o.tlsFingerprint !== undefined &&
          file?.tlsFingerprint !== undefined &&
          o.tlsFingerprint !== file.tlsFingerprint
        )
          throw new CliError(
            EXIT.USAGE,
            `--tls-fingerprint ${o.tlsFingerprint} differs from the one in ${o.keys} (${file.tlsFingerprint}): ask the operator which is right`
          );
        if (tlsFingerprint === undefined && new URL(o.coordinator).protocol === 'https:')
          throw new CliError(
            EXIT.USAGE,
            `an https coordinator needs its TLS key pin: --tls-fingerprint sha256:<hex> (printed by "fedmark coordinator keys")`
          );
        const checked = PublicKeyHexSchema.safeParse(key);
        if (!checked.success)
          throw new CliError(
            EXIT.USAGE,
            `--key: ${checked.error.issues[0]?.message ?? 'invalid key'}`
          );
        (await openNode(o.dir)).close();
        const { pinCoordinator } = await import('../../federation/index.ts');
        pinCoordinator(o.dir, o.coordinator, checked.data, tlsFingerprint);
        emit(
          ctx,
          o.json,
          {
            coordinator: o.coordinator,
            coordinatorKey: checked.data,
            tlsFingerprint: tlsFingerprint ?? null,
          },
          () =>
            `Pinned coordinator ${o.coordinator} with signing key ${checked.data}${tlsFingerprint ? ` and TLS key ${tlsFingerprint}` : ''} (coordinator.json)\nNext: fedmark node serve --dir ${o.dir} --coordinator ${o.coordinator}\n`
        );
      }
    );
  examples(
    pin,
    'fedmark node pin-coordinator --dir ./node-a --coordinator https://coordinator.example:7700 --keys coordinator.keys.json',
    'fedmark node pin-coordinator --dir ./node-a --coordinator https://127.0.0.1:7700 --key 3b6a...e1 --tls-fingerprint sha256:9f2c...07'
  );
}
