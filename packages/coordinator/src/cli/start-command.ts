import { createServer as createHttpsServer } from 'node:https';
import type { Command } from 'commander';
import { serve } from '@hono/node-server';
import {
  createLogger,
  logLevelFrom,
  readyLine,
  serverTlsForCli,
  type ServerTls,
} from '@fedmark/protocol';
import { DEFAULT_MAX_ROWS_PER_NODE, createCoordinator } from '../app.ts';
import { heFor } from '../aggregation/seal.ts';
import { DEFAULT_HE_PARAMS } from '../keys/epochs.ts';
import { openCoordinatorDir } from './coordinator-dir.ts';
import { CliError, EXIT } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { intOption } from './int-option.ts';

interface StartOptions {
  dir: string;
  port: number;
  host: string;
  maxRowsPerNode: number;
  tlsCert?: string;
  tlsKey?: string;
  tlsName?: string[];
  insecureHttp?: boolean;
}

/** The certificate to serve: TLS everywhere unless --insecure-http on loopback (protocol tls/server-tls.ts). */
function tlsFor(o: StartOptions, io: CliIo): Promise<ServerTls | undefined> {
  return serverTlsForCli(
    {
      ...o,
      tlsOnLoopback: true,
      onCreated: (dir) => io.err(`made a TLS certificate in ${dir} (tls.crt, tls.key 0600)\n`),
    },
    { usage: EXIT.USAGE, inputInvalid: EXIT.INPUT_INVALID }
  );
}

/** `fedmark coordinator start`: serve the API over HTTPS (or loopback HTTP when asked). */
export function registerStartCommand(coord: Command, io: CliIo): void {
  coord
    .command('start')
    .description(
      'serve the coordinator API over HTTPS (resumes open rounds from the database); nodes pin its TLS key'
    )
    .requiredOption('--dir <dir>', 'coordinator directory')
    .option('--port <port>', 'TCP port', intOption('port'), 7700)
    .option('--host <host>', 'interface to bind', '127.0.0.1')
    .option(
      '--max-rows-per-node <n>',
      'rows per node assumed by the plaintext-range check',
      intOption('max-rows-per-node'),
      DEFAULT_MAX_ROWS_PER_NODE
    )
    .option('--tls-cert <file>', "PEM certificate to serve instead of the directory's tls.crt")
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--tls-name <name...>',
      'names in a certificate made now (a directory without tls.crt): DNS names or IPs nodes use'
    )
    .option('--insecure-http', 'serve plain HTTP (loopback --host only: tests, a local demo)')
    .addHelpText(
      'after',
      `
The API and console are served over HTTPS with the directory's certificate (made by
"coordinator init", self-signed). Nodes trust it by pinning its key: give them the fingerprint
printed here and by "fedmark coordinator keys" (node enroll/pin-coordinator --tls-fingerprint).
Once it listens, the last line on stdout is one JSON object for scripts:
  {"event":"ready","service":"coordinator","url":...,"address":...,"port":...,"tlsFingerprint":...}

Examples:
  fedmark coordinator start --dir ./coord --port 7700 --host 0.0.0.0
  fedmark coordinator start --dir ./coord --tls-cert /etc/fedmark/coord.pem --tls-key /etc/fedmark/coord.key
  fedmark coordinator start --dir ./coord --insecure-http   # loopback only
`
    )
    .action(async (o: StartOptions) => {
      const d = openCoordinatorDir(o.dir, { checkIntegrity: true });
      let tls: ServerTls | undefined;
      try {
        tls = await tlsFor(o, io);
      } catch (err) {
        d.store.close();
        throw err;
      }
      const logger = createLogger({ service: 'coordinator', level: logLevelFrom(io.env) });
      const c = createCoordinator({
        ...d,
        maxRowsPerNode: o.maxRowsPerNode,
        log: (line, level = 'info') => logger[level](line),
      });
      const scheme = tls ? 'https' : 'http';
      await new Promise<void>((resolve, reject) => {
        const server = serve(
          {
            fetch: c.app.fetch,
            port: o.port,
            hostname: o.host,
            ...(tls
              ? {
                  createServer: createHttpsServer,
                  serverOptions: { cert: tls.certPem, key: tls.keyPem },
                }
              : {}),
          },
          (info) => {
            const host = o.host.includes(':') ? `[${o.host}]` : o.host;
            const url = `${scheme}://${host}:${info.port}`;
            io.out(`coordinator listening on ${url}\n`);
            if (tls) io.out(`TLS key fingerprint (nodes pin it): ${tls.fingerprint}\n`);
            io.out(`web console: ${url}/console (log in with the operator or auditor token)\n`);
            io.out(
              readyLine({
                service: 'coordinator',
                url,
                address: o.host,
                port: info.port,
                tlsFingerprint: tls?.fingerprint ?? null,
              })
            );
            c.resume().catch((err: unknown) => logger.error(`resume failed: ${String(err)}`));
            // Warm SEAL now (about a second) rather than on the first submission of a job.
            heFor(DEFAULT_HE_PARAMS).catch((err: unknown) =>
              logger.error(`SEAL failed to load: ${String(err)}`)
            );
          }
        );
        server.on('error', (err) =>
          reject(new CliError(EXIT.FAILURE, `cannot listen on ${o.host}:${o.port}: ${err.message}`))
        );
        const shutdown = () => {
          c.stop();
          server.close(() => {
            d.store.close();
            resolve();
          });
        };
        process.once('SIGINT', shutdown);
        process.once('SIGTERM', shutdown);
      });
    });
}
