import { createServer as createHttpsServer } from 'node:https';
import type { Command } from 'commander';
import { readyLine, serverTlsForCli, type ServerTls } from '@fedmark/protocol';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit-codes.ts';
import { intOption, urlOption } from '../options.ts';
import { openNode } from '../node-context.ts';
import { examples } from './_help.ts';

export interface ServeOpts {
  dir: string;
  host: string;
  port: number;
  coordinator?: string;
  pollMs: number;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  tlsName?: string[];
}

/**
 * The API's certificate (docs/node-api.md "TLS"): none on loopback unless asked (the data team's
 * own machine), the node directory's (made on first use) or the operator's beyond it.
 */
function apiTls(o: ServeOpts, io: CliContext['io']): Promise<ServerTls | undefined> {
  return serverTlsForCli(
    {
      ...o,
      tlsOnLoopback: o.tls === true,
      onCreated: (dir) => io.err(`Made a TLS certificate in ${dir} (tls.crt, tls.key 0600)\n`),
    },
    { usage: EXIT.USAGE, inputInvalid: EXIT.INPUT_INVALID }
  );
}

/** Resolves when the run's signal aborts or the process gets SIGINT/SIGTERM. */
function untilStopped(signal: AbortSignal | undefined, stop: AbortController): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      process.off('SIGINT', done);
      process.off('SIGTERM', done);
      stop.abort();
      resolve();
    };
    if (signal?.aborted) return done();
    signal?.addEventListener('abort', done, { once: true });
    stop.signal.addEventListener('abort', done, { once: true });
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
}

export function registerServe(node: Command, ctx: CliContext): void {
  const cmd = node
    .command('serve')
    .description(
      'serve the local admin/auditor HTTP API (loopback by default); with --coordinator also run the federation agent'
    )
    .requiredOption('--dir <path>', 'node directory')
    .option(
      '--host <host>',
      "address to bind; beyond loopback the API is served over TLS (the directory's certificate, made on first use)",
      '127.0.0.1'
    )
    .option('--tls', 'serve HTTPS on loopback too')
    .option('--tls-cert <file>', "PEM certificate to serve instead of the directory's tls.crt")
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--tls-name <name...>',
      'names in a certificate made now: the DNS names or IPs clients use (default: localhost, loopback, host name)'
    )
    .option('--port <port>', 'TCP port (0 = any free port)', intOption(0, 65535), 7800)
    .option(
      '--coordinator <url>',
      'coordinator base URL: poll it for tasks (outbound only; enroll first)',
      urlOption
    )
    .option(
      '--poll-ms <ms>',
      'coordinator poll interval in milliseconds',
      intOption(100, 3_600_000),
      1000
    )
    .action(async (o: ServeOpts) => {
      const { io } = ctx;
      const nodeDb = await openNode(o.dir);
      // A long-running server reads every page once at start (docs/node-cli.md, "Damaged databases").
      const { checkNodeDatabase } = await import('../../store/index.ts');
      try {
        checkNodeDatabase(o.dir);
      } catch (err) {
        nodeDb.close();
        throw err;
      }
      const { loadOrCreateApiTokens } = await import('../../api/tokens.ts');
      const { createNodeApp } = await import('../../api/app.ts');
      const { serve } = await import('@hono/node-server');
      const stop = new AbortController();
      let agentError: unknown = null;
      try {
        const { tokens, created, file } = loadOrCreateApiTokens(o.dir);
        if (created) {
          io.err(
            `Created API tokens in ${file} (mode 0600). They are shown once here; the file keeps them:\n`
          );
          for (const t of tokens) io.err(`  ${t.role.padEnd(8)} ${t.token}\n`);
        }
        const tls = await apiTls(o, io);
        if (tls)
          io.err(`API over HTTPS; its TLS key fingerprint (clients pin it): ${tls.fingerprint}\n`);
        const app = createNodeApp({ dir: o.dir, db: nodeDb.db, identity: nodeDb.identity, tokens });
        let listening = { url: '', address: '', port: 0 };
        const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
          const s = serve(
            {
              fetch: app.fetch,
              hostname: o.host,
              port: o.port,
              ...(tls
                ? {
                    createServer: createHttpsServer,
                    serverOptions: { cert: tls.certPem, key: tls.keyPem },
                  }
                : {}),
            },
            (info) => {
              const url = `${tls ? 'https' : 'http'}://${info.family === 'IPv6' ? `[${info.address}]` : info.address}:${info.port}`;
              io.out(
                `Node "${nodeDb.identity.name}" API listening on ${url} (GET /openapi.json)\n`
              );
              listening = { url, address: info.address, port: info.port };
              resolve(s);
            }
          );
          s.once('error', reject);
        });
        let agent: Promise<void> = Promise.resolve();
        if (o.coordinator !== undefined) {
          const { runAgent } = await import('../../federation/index.ts');
          io.out(`Federation agent polling ${o.coordinator} every ${o.pollMs} ms\n`);
          agent = runAgent({
            dir: o.dir,
            coordinatorUrl: o.coordinator,
            pollMs: o.pollMs,
            signal: stop.signal,
          }).catch((err: unknown) => {
            agentError = err;
            stop.abort();
          });
        }
        // Last, once the API listens and the agent runs: what a supervisor waits for.
        io.out(
          readyLine({
            service: 'node',
            node: nodeDb.identity.name,
            ...listening,
            coordinator: o.coordinator ?? null,
            tlsFingerprint: tls?.fingerprint ?? null,
          })
        );
        await untilStopped(io.signal, stop);
        await agent;
        await new Promise<void>((resolve) => server.close(() => resolve()));
        io.out('Stopped.\n');
      } finally {
        nodeDb.close();
      }
      if (agentError !== null) throw agentError;
    });
  examples(
    cmd,
    'fedmark node serve --dir ./node-a',
    'fedmark node serve --dir ./node-a --port 7801 --coordinator https://127.0.0.1:7900 --poll-ms 500',
    'fedmark node serve --dir ./node-a --host 0.0.0.0 --tls-name node-a.bank.example   # HTTPS'
  );
}
