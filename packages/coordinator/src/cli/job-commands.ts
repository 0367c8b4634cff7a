import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  asJobSpec,
  isProtocolError,
  textTable,
  type JobEvent,
  type JobListResponse,
  type JobResult,
  type JobStatus,
} from '@fedmark/protocol';
import { TEMPLATE_NAMES, checkedTemplate, type TemplateName } from '../jobs/templates.ts';
import { overlapTemplate } from '../overlap/template.ts';
import { CliError, EXIT } from './exit-codes.ts';
import { operatorClient, type OperatorClient } from './http.ts';
import type { CliIo } from './io.ts';
import { eventLine, resultText, statusLine } from './render.ts';

export interface ConnOpts {
  coordinator?: string;
  token?: string;
  tlsFingerprint?: string;
  json?: boolean;
}

export function withConn(cmd: Command): Command {
  return cmd
    .option(
      '--coordinator <url>',
      'coordinator URL (env FEDMARK_COORDINATOR_URL; default https://127.0.0.1:7700)'
    )
    .option('--token <token>', 'operator token (env FEDMARK_TOKEN)')
    .option(
      '--tls-fingerprint <pin>',
      'the coordinator\'s TLS key pin, sha256:<hex> from "fedmark coordinator keys" (env FEDMARK_TLS_FINGERPRINT)'
    )
    .option('--json', 'print JSON');
}

export function client(o: ConnOpts, io: CliIo): OperatorClient {
  const url = o.coordinator ?? io.env['FEDMARK_COORDINATOR_URL'] ?? 'https://127.0.0.1:7700';
  const token = o.token ?? io.env['FEDMARK_TOKEN'];
  if (!token)
    throw new CliError(
      EXIT.USAGE,
      'an operator token is needed: --token <token> or FEDMARK_TOKEN (see <coordinator dir>/operator.token)'
    );
  return operatorClient(url, token, o.tlsFingerprint ?? io.env['FEDMARK_TLS_FINGERPRINT']);
}

/** How long `job watch` keeps retrying an unreachable coordinator (e.g. during a restart). */
const UNREACHABLE_GRACE_MS = 30_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `attempt` until it succeeds, retrying for up to `waitMs` while the answer is one that
 * time will fix: the coordinator is not reachable yet, or the key ceremony is still running.
 * Each distinct reason is reported once through `report`.
 */
async function untilReady<T>(
  attempt: () => Promise<T>,
  waitMs: number,
  report: (why: string) => void
): Promise<T> {
  const until = Date.now() + waitMs;
  let last = '';
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      const unreachable = err instanceof CliError && err.exitCode === EXIT.UNREACHABLE;
      const notReady = isProtocolError(err) && err.code === 'KEY_EPOCH_PENDING';
      if (!(unreachable || notReady) || Date.now() >= until) throw err;
      const why = err instanceof Error ? err.message : String(err);
      if (why !== last) report(why);
      last = why;
      await sleep(1000);
    }
  }
}

/** `fedmark job create|watch|result|list|template`. */
export function registerJobCommands(program: Command, io: CliIo): void {
  const job = program.command('job').description('launch and follow joint jobs');
  job.addHelpText(
    'after',
    '\nExamples:\n  fedmark job template rfm > rfm.json\n  fedmark job create --spec rfm.json --coordinator https://127.0.0.1:7700 --token $TOKEN --tls-fingerprint $PIN\n  fedmark job watch j-0123456789abcdef\n  fedmark job result j-0123456789abcdef --json\n'
  );

  withConn(
    job
      .command('create')
      .description('create a job from a JobSpec JSON file')
      .requiredOption('--spec <file>', 'job spec (see "fedmark job template")')
  )
    .option(
      '--wait <seconds>',
      'while the key ceremony is still running (or the coordinator is starting), retry for this long',
      '120'
    )
    .option(
      '--quiet',
      'print only the job id (for scripts: JOB=$(fedmark job create --spec s.json --quiet))'
    )
    .addHelpText(
      'after',
      '\nExample:\n  export FEDMARK_TOKEN=$(cat coord/operator.token)\n  JOB=$(fedmark job create --spec rfm.json --quiet) && fedmark job watch $JOB\n'
    )
    .action(async (o: ConnOpts & { spec: string; wait: string; quiet?: boolean }) => {
      let spec: unknown;
      try {
        // A bare train spec (docs/models.md §1) is taken as the train job it describes (§9).
        spec = asJobSpec(JSON.parse(readFileSync(o.spec, 'utf8')));
      } catch (err) {
        throw new CliError(
          EXIT.INPUT_INVALID,
          `${o.spec}: ${err instanceof Error ? err.message : String(err)}`
        );
      }
      const waitMs = Math.max(0, Number(o.wait) || 0) * 1000;
      const status = (await untilReady(
        () => client(o, io).post('/v1/jobs', spec),
        waitMs,
        (why) => io.err(`waiting: ${why}\n`)
      )) as JobStatus;
      if (o.json) io.out(`${JSON.stringify(status)}\n`);
      else if (o.quiet) io.out(`${status.jobId}\n`);
      else
        io.out(
          `created job ${status.jobId} (${status.kind}) on key ${status.keyId} with ${status.participants.length} participants\n${status.jobId}\n`
        );
    });

  withConn(
    job
      .command('watch')
      .description('follow a job live until it is published or fails')
      .argument('<id>', 'job id')
  )
    .option('--interval <ms>', 'poll interval in ms', '500')
    .action(async (id: string, o: ConnOpts & { interval: string }) => {
      const api = client(o, io);
      const interval = Math.max(50, Number(o.interval) || 500);
      let after = 0;
      let drawn = false;
      let unreachableSince: number | null = null;
      for (;;) {
        let status: JobStatus;
        let events: JobEvent[];
        try {
          status = (await api.get(`/v1/jobs/${encodeURIComponent(id)}`)) as JobStatus;
          ({ events } = (await api.get(
            `/v1/jobs/${encodeURIComponent(id)}/events?after=${after}`
          )) as { events: JobEvent[] });
          unreachableSince = null;
        } catch (err) {
          // A coordinator restart is routine (it resumes from SQLite): keep watching for a while.
          if (!(err instanceof CliError && err.exitCode === EXIT.UNREACHABLE)) throw err;
          if (unreachableSince === null) {
            unreachableSince = Date.now();
            io.err(`coordinator unreachable, retrying for ${UNREACHABLE_GRACE_MS / 1000} s\n`);
          }
          if (Date.now() - unreachableSince > UNREACHABLE_GRACE_MS) throw err;
          await sleep(interval);
          continue;
        }
        for (const e of events) {
          if (drawn) io.out('\r\x1b[2K');
          drawn = false;
          io.out(o.json ? `${JSON.stringify(e)}\n` : `${eventLine(e)}\n`);
          after = e.seq;
        }
        if (status.status !== 'running') {
          if (drawn) io.out('\n');
          if (!o.json) io.out(`${statusLine(status, Date.now())}\n`);
          if (status.status === 'failed')
            throw new CliError(
              EXIT.JOB_FAILED,
              `job ${id} failed: [${status.failure?.code}] ${status.failure?.message}`
            );
          return;
        }
        if (io.isTty && !o.json) {
          io.out(`\r\x1b[2K${statusLine(status, Date.now())}`);
          drawn = true;
        }
        await sleep(interval);
      }
    });

  withConn(
    job
      .command('result')
      .description('published estimates with 95% intervals')
      .argument('<id>', 'job id')
  ).action(async (id: string, o: ConnOpts) => {
    const res = (await client(o, io).get(`/v1/jobs/${encodeURIComponent(id)}/result`)) as JobResult;
    io.out(o.json ? `${JSON.stringify(res, null, 2)}\n` : resultText(res));
    if (res.status === 'failed')
      throw new CliError(
        EXIT.JOB_FAILED,
        `job ${id} failed: [${res.failure?.code}] ${res.failure?.message}`
      );
  });

  withConn(
    job
      .command('cancel')
      .description(
        'cancel a running job: its open rounds fail (code CANCELLED) and nodes get no more tasks for it; published rounds and what nodes already released stay'
      )
      .argument('<id>', 'job id')
  )
    .addHelpText('after', '\nExample:\n  fedmark job cancel j-0123456789abcdef\n')
    .action(async (id: string, o: ConnOpts) => {
      const status = (await client(o, io).post(
        `/v1/jobs/${encodeURIComponent(id)}/cancel`,
        {}
      )) as JobStatus;
      if (o.json) io.out(`${JSON.stringify(status)}\n`);
      else
        io.out(
          `cancelled job ${status.jobId}: [${status.failure?.code}] ${status.failure?.message}\n`
        );
    });

  withConn(job.command('list').description('list jobs')).action(async (o: ConnOpts) => {
    const res = (await client(o, io).get('/v1/jobs')) as JobListResponse;
    if (o.json) io.out(`${JSON.stringify(res)}\n`);
    else if (res.jobs.length === 0) io.out('no jobs\n');
    else
      io.out(
        `${textTable(
          ['job', 'status', 'kind', 'created', 'name'],
          res.jobs.map((j) => [j.jobId, j.status, j.kind, j.createdAt, j.name])
        )}\n`
      );
  });

  job
    .command('template')
    .description(`print a ready JobSpec: ${[...TEMPLATE_NAMES, 'overlap'].join(' | ')}`)
    .argument('<name>', [...TEMPLATE_NAMES, 'overlap'].join(' | '))
    .option('--as-of <date>', 'reference date YYYY-MM-DD (default today, UTC)')
    .action((name: string, o: { asOf?: string }) => {
      if (name === 'overlap') {
        io.out(`${JSON.stringify(overlapTemplate(), null, 2)}\n`);
        return;
      }
      if (!(TEMPLATE_NAMES as readonly string[]).includes(name)) {
        throw new CliError(
          EXIT.USAGE,
          `unknown template "${name}"; choose one of ${[...TEMPLATE_NAMES, 'overlap'].join(', ')}`
        );
      }
      io.out(`${JSON.stringify(checkedTemplate(name as TemplateName, o.asOf), null, 2)}\n`);
    });
}
