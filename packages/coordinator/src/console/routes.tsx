import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ZodError } from 'zod';
import { HTTP_STATUS, isProtocolError } from '@fedmark/protocol';
import {
  createConsoleKit,
  type ConsoleEnv,
  type ConsoleKit,
  type ConsoleSession,
} from '@fedmark/protocol/console';
import type { Ctx } from '../context.ts';
import { createJob } from '../jobs/create.ts';
import type { RoundEngine } from '../jobs/rounds.ts';
import { tokenRoleOf, type TokenRole } from '../nodes/auth.ts';
import type { TransparencyLog } from '../transparency/log-store.ts';
import { zodMessage } from '../zod-message.ts';
import { JOB_REFRESH_SECONDS, JobPage, loadJobView } from './job-page.tsx';
import { JobsPage, loadJobsView } from './jobs-page.tsx';
import { NewJobPage, emptyParams, loadNewJobView } from './new-job-page.tsx';
import {
  errorsFromZod,
  hasErrors,
  isTemplateName,
  noErrors,
  paramsFromForm,
  specFromJson,
  specFromParams,
  type FormErrors,
} from './new-job-form.ts';
import { NodesPage, loadNodesView } from './nodes-page.tsx';
import { CONSOLE_BASE, CONSOLE_COOKIE, PATHS, homeFor, navFor } from './paths.ts';
import { ResultPage, loadResultView } from './result-page.tsx';
import { ResultsPage, loadResultsView } from './results-page.tsx';
import {
  NodeCheckpointsPage,
  TransparencyPage,
  loadNodeCheckpointsView,
  loadTransparencyView,
} from './transparency-page.tsx';

/** The jobs list reloads itself this often while any job runs. */
export const JOBS_REFRESH_SECONDS = 5;

export interface ConsoleDeps {
  ctx: Ctx;
  engine: RoundEngine;
  log: TransparencyLog;
  /** Force the session cookie's Secure flag (default: when the request came over https). */
  secureCookie?: boolean;
}

function formErrorStatus(err: unknown): ContentfulStatusCode {
  return (isProtocolError(err) ? HTTP_STATUS[err.code] : 400) as ContentfulStatusCode;
}

/**
 * The coordinator's web console (docs/coordinator.md, "Web console"): server-rendered pages
 * under /console for the operator (nodes, jobs, results, new job) and the auditor
 * (transparency log), on the shared console kit (session cookie, CSRF, CSP). Mount the result
 * with `app.route(CONSOLE_BASE, consoleApp(...).app)` after every page is added.
 */
export function consoleApp(deps: ConsoleDeps): ConsoleKit<TokenRole> {
  const { ctx, engine, log } = deps;
  const roleOf = tokenRoleOf(ctx);
  const kit = createConsoleKit<TokenRole>({
    appName: 'fedmark coordinator',
    basePath: CONSOLE_BASE,
    cookieName: CONSOLE_COOKIE,
    roleForToken: (token) => roleOf(token) ?? null,
    homeFor,
    navFor,
    ...(deps.secureCookie === undefined ? {} : { secureCookie: deps.secureCookie }),
  });
  const { app } = kit;
  const operator = kit.requireRole('operator');
  const anyone = kit.requireRole('operator', 'auditor');

  // A page's loader throws ProtocolError NOT_FOUND for an unknown job: a framed page, not JSON.
  app.onError((err, c) => {
    if (isProtocolError(err))
      return kit.errorPage(
        c,
        HTTP_STATUS[err.code] as ContentfulStatusCode,
        err.code === 'NOT_FOUND' ? 'Not found' : 'Error',
        err.message
      );
    if (err instanceof ZodError) return kit.errorPage(c, 400, 'Invalid request', zodMessage(err));
    ctx.log(
      `console error on ${c.req.method} ${c.req.path}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`
    );
    return kit.errorPage(
      c,
      500,
      'Internal error',
      'Something went wrong on the coordinator; the operator log has the details.'
    );
  });

  app.get('/nodes', operator, (c) =>
    kit.page(c, { title: 'Nodes', children: <NodesPage {...loadNodesView(ctx)} /> })
  );

  app.get('/jobs', operator, (c) => {
    const v = loadJobsView(ctx);
    return kit.page(c, {
      title: 'Jobs',
      ...(v.anyRunning ? { refreshSeconds: JOBS_REFRESH_SECONDS } : {}),
      children: <JobsPage {...v} />,
    });
  });

  const newJobForm = (
    c: Context<ConsoleEnv>,
    view: ReturnType<typeof loadNewJobView>,
    status?: ContentfulStatusCode
  ) =>
    kit.page(
      c,
      {
        title: 'New job',
        current: PATHS.newJob,
        children: <NewJobPage view={view} session={c.get('consoleSession') as ConsoleSession} />,
      },
      status
    );

  app.get('/jobs/new', operator, (c) => {
    const t = c.req.query('template');
    return newJobForm(c, loadNewJobView(ctx, emptyParams(isTemplateName(t) ? t : 'lifecycle')));
  });

  app.post('/jobs/new', operator, async (c) => {
    const form = await c.req.parseBody();
    const action = form['action'];
    const { params, errors } = paramsFromForm(form);
    const create = (
      spec: unknown
    ): { jobId: string } | { error: FormErrors; status: ContentfulStatusCode } => {
      try {
        return createJob(ctx, engine, spec);
      } catch (err) {
        if (err instanceof ZodError) return { error: errorsFromZod(err, 'params'), status: 400 };
        if (!isProtocolError(err)) throw err;
        return {
          error: { fields: {}, general: [`${err.code}: ${err.message}`] },
          status: formErrorStatus(err),
        };
      }
    };
    if (action === 'create-json') {
      const text = typeof form['spec'] === 'string' ? form['spec'] : '';
      const parsed = specFromJson(text);
      if (hasErrors(parsed.errors))
        return newJobForm(
          c,
          loadNewJobView(ctx, params, { jsonText: text, jsonErrors: parsed.errors }),
          400
        );
      const made = create(parsed.spec);
      if ('jobId' in made) return c.redirect(PATHS.job(made.jobId), 303);
      return newJobForm(
        c,
        loadNewJobView(ctx, params, {
          jsonText: text,
          jsonErrors: {
            fields: {},
            general: made.error.general.concat(Object.values(made.error.fields)),
          },
        }),
        made.status
      );
    }
    if (hasErrors(errors)) return newJobForm(c, loadNewJobView(ctx, params, { errors }), 400);
    const built = specFromParams(params, ctx.iso().slice(0, 10));
    if (hasErrors(built.errors))
      return newJobForm(c, loadNewJobView(ctx, params, { errors: built.errors }), 400);
    if (action !== 'create')
      return newJobForm(c, loadNewJobView(ctx, params, { errors: noErrors() }));
    const made = create(built.spec);
    if ('jobId' in made) return c.redirect(PATHS.job(made.jobId), 303);
    return newJobForm(c, loadNewJobView(ctx, params, { errors: made.error }), made.status);
  });

  app.get('/jobs/:id', operator, (c) => {
    const v = loadJobView(ctx, c.req.param('id'));
    const running = v.status.status === 'running';
    return kit.page(c, {
      title: `Job ${v.status.name}`,
      current: PATHS.jobs,
      ...(running ? { refreshSeconds: JOB_REFRESH_SECONDS } : {}),
      children: <JobPage {...v} />,
    });
  });

  app.get('/jobs/:id/result', operator, (c) => {
    const v = loadResultView(ctx, c.req.param('id'));
    const running = v.status === 'running';
    return kit.page(c, {
      title: `Results: ${v.name}`,
      current: PATHS.results,
      ...(running ? { refreshSeconds: JOB_REFRESH_SECONDS * 2 } : {}),
      children: <ResultPage {...v} />,
    });
  });

  app.get('/results', operator, (c) =>
    kit.page(c, { title: 'Results', children: <ResultsPage {...loadResultsView(ctx)} /> })
  );

  app.get('/transparency', anyone, (c) =>
    kit.page(c, {
      title: 'Transparency log',
      children: <TransparencyPage {...loadTransparencyView(ctx, log)} />,
    })
  );

  app.get('/transparency/nodes/:name', anyone, (c) => {
    const v = loadNodeCheckpointsView(log, c.req.param('name'));
    return kit.page(c, {
      title: `Checkpoints of ${v.node}`,
      current: PATHS.transparency,
      children: <NodeCheckpointsPage {...v} />,
    });
  });

  return kit;
}

/** Unknown paths under /console: a framed 404 page rather than the API's JSON. */
export function consoleNotFound(kit: ConsoleKit<TokenRole>, c: Context) {
  return kit.errorPage(c, 404, 'Not found', `There is no console page at ${c.req.path}.`);
}

export { CONSOLE_BASE };
