import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  NodePublicKeysFileSchema,
  bytesToHex,
  dirTlsFingerprint,
  ensureTlsFiles,
  textTable,
  type CoordinatorPublicKeyFile,
} from '@fedmark/protocol';
import { createCoordinator } from '../app.ts';
import { admitNode, createEnrollmentToken, nodeToWire } from '../nodes/admission.ts';
import { addAuditorToken, initCoordinatorDir, openCoordinatorDir } from './coordinator-dir.ts';
import { backupCoordinatorDirectory } from './backup.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { intOption } from './int-option.ts';
import { registerStartCommand } from './start-command.ts';
import { zodMessage } from '../zod-message.ts';

/** The node to admit: from its public-key file, or from --name/--signing-key/--box-key. */
interface AdmissionKeys {
  name: string;
  signingKey: string;
  boxKey: string;
}

/** One node's public keys from its key file (written by fedmark node keys --out). */
function keysFromFile(file: string): AdmissionKeys {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new CliError(
      EXIT.INPUT_INVALID,
      `${file}: ${err instanceof Error ? err.message : String(err)}`
    );
  }
  const parsed = NodePublicKeysFileSchema.safeParse(raw);
  if (!parsed.success)
    throw new CliError(EXIT.INPUT_INVALID, `${file}: ${zodMessage(parsed.error)}`);
  return { name: parsed.data.name, signingKey: parsed.data.signingKey, boxKey: parsed.data.boxKey };
}

/** The nodes to admit: one per --keys file, or the one named by --name/--signing-key/--box-key. */
function admissionKeys(o: {
  keys?: string[];
  name?: string;
  signingKey?: string;
  boxKey?: string;
}): AdmissionKeys[] {
  if (o.keys !== undefined) {
    if (o.name !== undefined || o.signingKey !== undefined || o.boxKey !== undefined) {
      throw new CliError(
        EXIT.USAGE,
        'give either --keys <file...> or --name/--signing-key/--box-key, not both'
      );
    }
    const all = o.keys.map(keysFromFile);
    const seen = new Set<string>();
    for (const [i, k] of all.entries()) {
      if (seen.has(k.name))
        throw new CliError(EXIT.INPUT_INVALID, `${o.keys[i]}: node ${k.name} is named twice`);
      seen.add(k.name);
    }
    return all;
  }
  if (o.name === undefined || o.signingKey === undefined || o.boxKey === undefined) {
    throw new CliError(
      EXIT.USAGE,
      'give --keys <file...>, or all of --name, --signing-key and --box-key'
    );
  }
  return [{ name: o.name, signingKey: o.signingKey, boxKey: o.boxKey }];
}

/** `fedmark coordinator init|start|admit|keys|enroll-token|nodes`. */
export function registerCoordinatorCommands(program: Command, io: CliIo): void {
  const coord = program.command('coordinator').description("run the federation's coordinator");
  coord.addHelpText(
    'after',
    '\nExamples:\n  fedmark coordinator init --dir ./coord\n  fedmark coordinator start --dir ./coord --port 7700\n'
  );

  coord
    .command('init')
    .description(
      'create a coordinator directory: database, signing key, operator and auditor tokens, TLS certificate (secrets 0600)'
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option(
      '--tls-name <name...>',
      'DNS names or IP addresses nodes use to reach the coordinator (default: localhost, 127.0.0.1, ::1 and this host name)'
    )
    .option('--json', 'print a JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  fedmark coordinator init --dir ./coord\n  fedmark coordinator init --dir ./coord --tls-name coordinator.example.org 203.0.113.7\n'
    )
    .action(async (o: { dir: string; tlsName?: string[]; json?: boolean }) => {
      const r = initCoordinatorDir(o.dir);
      const { fingerprint } = await ensureTlsFiles(o.dir, o.tlsName);
      if (o.json) {
        const out = {
          dir: o.dir,
          tokenFile: r.tokenFile,
          token: r.token,
          auditorTokenFile: r.auditorTokenFile,
          auditorToken: r.auditorToken,
          coordinatorKey: r.publicKey,
          tlsFingerprint: fingerprint,
        };
        io.out(`${JSON.stringify(out)}\n`);
      } else {
        io.out(`coordinator initialized in ${o.dir}\n`);
        io.out(`coordinator signing key: ${r.publicKey}\n`);
        io.out(`TLS key fingerprint (nodes pin it): ${fingerprint}\n`);
        io.out(`operator token (shown once; stored in ${r.tokenFile}, mode 0600):\n  ${r.token}\n`);
        io.out(
          `auditor token, read-only transparency log (shown once; stored in ${r.auditorTokenFile}, mode 0600):\n  ${r.auditorToken}\n`
        );
        io.out(`next: fedmark coordinator start --dir ${o.dir}\n`);
      }
    });

  coord
    .command('auditor-token')
    .description(
      'add an auditor token to a coordinator directory made before the auditor role existed'
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option('--json', 'print a JSON object')
    .addHelpText(
      'after',
      '\nExample:\n  fedmark coordinator auditor-token --dir ./coord   # then restart the coordinator\n'
    )
    .action((o: { dir: string; json?: boolean }) => {
      const r = addAuditorToken(o.dir);
      if (o.json) io.out(`${JSON.stringify({ dir: o.dir, ...r })}\n`);
      else
        io.out(
          `auditor token (shown once; stored in ${r.auditorTokenFile}, mode 0600; restart the coordinator to use it):\n  ${r.auditorToken}\n`
        );
    });

  registerStartCommand(coord, io);

  coord
    .command('admit')
    .description(
      "admit nodes by their public keys (starts one new key epoch); each node then pins this coordinator's key"
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option(
      '--keys <file...>',
      'public-key files, one per node (written by fedmark node keys --out); all are admitted in one transaction, or none'
    )
    .option('--name <name>', 'node name (instead of --keys)')
    .option('--signing-key <hex>', "node's Ed25519 public key (64 hex)")
    .option('--box-key <hex>', "node's X25519 public key (64 hex)")
    .option('--json', 'print a JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  fedmark coordinator admit --dir ./coord --keys node-a.keys.json\n  fedmark coordinator admit --dir ./coord --keys bank.keys.json retailer.keys.json insurer.keys.json\n  fedmark coordinator admit --dir ./coord --name bank --signing-key 3b6a...e1 --box-key 8f40...2c\n'
    )
    .action(
      (o: {
        dir: string;
        keys?: string[];
        name?: string;
        signingKey?: string;
        boxKey?: string;
        json?: boolean;
      }) => {
        const keys = admissionKeys(o);
        const d = openCoordinatorDir(o.dir);
        try {
          const c = createCoordinator({ ...d, timers: false, log: () => {} });
          // One transaction: a refused node (a name already admitted) leaves nobody admitted.
          const nodes = d.store.transaction(() => keys.map((k) => admitNode(c.ctx, k)));
          const epoch = d.store.keys.latest();
          const coordinatorKey = bytesToHex(d.coordinatorKey.publicKey);
          const tlsFingerprint = dirTlsFingerprint(o.dir);
          if (o.json) {
            const one = nodes.length === 1 ? { node: nodes[0] } : {};
            io.out(
              `${JSON.stringify({ ...one, nodes, keyEpoch: epoch?.keyId ?? null, coordinatorKey, tlsFingerprint })}\n`
            );
          } else {
            io.out(
              `admitted ${nodes.map((n) => n.name).join(', ')}; key epoch ${epoch?.keyId ?? '-'} starts (generator ${epoch?.generator ?? '-'})\n`
            );
            io.out(`coordinator signing key: ${coordinatorKey}\n`);
            io.out(
              `next, on ${nodes.length === 1 ? 'the node' : 'each node'}: fedmark node pin-coordinator --dir <node dir> --coordinator <this coordinator's URL> --key ${coordinatorKey}${tlsFingerprint ? ` --tls-fingerprint ${tlsFingerprint}` : ''}\n`
            );
          }
        } finally {
          d.store.close();
        }
      }
    );

  coord
    .command('keys')
    .description(
      "print the coordinator's public signing key and TLS key fingerprint (nodes pin both) and optionally write them to a file for them"
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option('--out <file>', 'write the public key file (fedmark node pin-coordinator --keys FILE)')
    .option('--fingerprint', 'print only the TLS key fingerprint (for FEDMARK_TLS_FINGERPRINT)')
    .option('--json', 'print a JSON object')
    .addHelpText(
      'after',
      '\nExamples:\n  fedmark coordinator keys --dir ./coord --out coordinator.keys.json\n  export FEDMARK_TLS_FINGERPRINT=$(fedmark coordinator keys --dir ./coord --fingerprint)\n'
    )
    .action((o: { dir: string; out?: string; fingerprint?: boolean; json?: boolean }) => {
      const d = openCoordinatorDir(o.dir);
      try {
        const tlsFingerprint = dirTlsFingerprint(o.dir);
        if (o.fingerprint) {
          if (!tlsFingerprint)
            throw new CliError(
              EXIT.NOT_FOUND,
              `${o.dir} has no TLS certificate yet ("fedmark coordinator start" makes one)`
            );
          io.out(`${tlsFingerprint}\n`);
          return;
        }
        const file: CoordinatorPublicKeyFile = {
          version: 1,
          kind: 'fedmark-coordinator-public-key',
          signingKey: bytesToHex(d.coordinatorKey.publicKey),
          ...(tlsFingerprint ? { tlsFingerprint } : {}),
        };
        if (o.out) writeFileSync(o.out, `${JSON.stringify(file, null, 2)}\n`);
        if (o.json) io.out(`${JSON.stringify(file)}\n`);
        else {
          io.out(
            `coordinator signing key: ${file.signingKey}${o.out ? ` (written to ${o.out}: send it to each node)` : ''}\n`
          );
          io.out(
            `TLS key fingerprint: ${tlsFingerprint ?? '(none yet: "coordinator start" makes the certificate)'}\n`
          );
        }
      } finally {
        d.store.close();
      }
    });

  coord
    .command('backup')
    .description(
      'copy the coordinator directory consistently, also while it serves: both databases through SQLite online backup (checked), key and tokens owner-only; restore by starting on the copy'
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .requiredOption('--to <dir>', 'new directory for the copy (must not exist or be empty)')
    .option('--json', 'print {to, files} as JSON')
    .addHelpText(
      'after',
      '\nExample:\n  fedmark coordinator backup --dir ./coord --to /backups/coord-2026-12-01\n'
    )
    .action(async (o: { dir: string; to: string; json?: boolean }) => {
      const check = openCoordinatorDir(o.dir); // a clear error when --dir holds no coordinator
      check.store.close();
      check.transparencyDb.close();
      let files: string[];
      try {
        files = await backupCoordinatorDirectory(o.dir, o.to);
      } catch (err) {
        throw new CliError(
          EXIT.INPUT_INVALID,
          `backup to ${o.to} failed, nothing was written: ${err instanceof Error ? err.message : String(err)}`
        );
      }
      if (o.json) io.out(`${JSON.stringify({ to: o.to, files })}\n`);
      else
        io.out(
          `backed up ${o.dir} to ${o.to}: ${files.join(', ')}\nIt holds the coordinator's signing key and tokens: store it as carefully as the directory.\n`
        );
    });

  coord
    .command('enroll-token')
    .description('one-time enrollment token for a node name (valid 24 h by default)')
    .requiredOption('--dir <dir>', 'coordinator directory')
    .requiredOption('--name <name>', 'node name the token is for')
    .option('--ttl-hours <h>', 'validity in hours', intOption('ttl-hours'), 24)
    .option('--json', 'print a JSON object')
    .action((o: { dir: string; name: string; ttlHours: number; json?: boolean }) => {
      const d = openCoordinatorDir(o.dir);
      try {
        const c = createCoordinator({ ...d, timers: false, log: () => {} });
        const t = createEnrollmentToken(c.ctx, { name: o.name, ttlMs: o.ttlHours * 3600_000 });
        const tlsFingerprint = dirTlsFingerprint(o.dir);
        if (o.json) io.out(`${JSON.stringify({ ...t, tlsFingerprint: tlsFingerprint ?? null })}\n`);
        else {
          io.out(
            `enrollment token for ${t.name} (single use, expires ${t.expiresAt}):\n  ${t.token}\n`
          );
          io.out(
            `next, on the node: fedmark node enroll --dir <node dir> --coordinator <this coordinator's https URL> --token ${t.token}${tlsFingerprint ? ` --tls-fingerprint ${tlsFingerprint}` : ''}\n`
          );
        }
      } finally {
        d.store.close();
      }
    });

  coord
    .command('nodes')
    .description('list admitted nodes and the key epochs')
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option('--json', 'print a JSON object')
    .action((o: { dir: string; json?: boolean }) => {
      const d = openCoordinatorDir(o.dir);
      try {
        const nodes = d.store.nodes
          .list()
          .filter((n) => !n.removedAt)
          .map(nodeToWire);
        const epochs = d.store.keys.list().map((e) => ({
          keyId: e.keyId,
          state: e.state,
          generator: e.generator,
          members: e.members.map((m) => m.name),
          acked: e.acked,
        }));
        if (o.json) io.out(`${JSON.stringify({ nodes, epochs })}\n`);
        else {
          io.out(
            `${textTable(
              ['node', 'signing key', 'last seen'],
              nodes.map((n) => [n.name, `${n.signingKey.slice(0, 16)}…`, n.lastSeenAt ?? 'never'])
            )}\n\n`
          );
          io.out(
            `${textTable(
              ['key epoch', 'state', 'members', 'installed'],
              epochs.map((e) => [
                e.keyId,
                e.state,
                e.members.join(', '),
                `${e.acked.length}/${e.members.length}`,
              ])
            )}\n`
          );
        }
      } finally {
        d.store.close();
      }
    });
}
