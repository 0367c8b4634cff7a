import { Empty } from '@fedmark/protocol/console';
import type { JobListResponse } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { jobList } from '../jobs/status.ts';
import { fmtTime } from './format.ts';
import { StateBadge } from './job-state.tsx';
import { PATHS } from './paths.ts';

export type JobRow = JobListResponse['jobs'][number];

export interface JobsView {
  jobs: JobRow[];
  /** Any job still running: the page reloads itself to show progress. */
  anyRunning: boolean;
}

/** Every job, newest first. */
export function loadJobsView(ctx: Ctx): JobsView {
  const jobs = [...jobList(ctx).jobs].sort(
    (a, b) => b.createdAt.localeCompare(a.createdAt) || a.jobId.localeCompare(b.jobId)
  );
  return { jobs, anyRunning: jobs.some((j) => j.status === 'running') };
}

export function JobsPage(v: JobsView) {
  return (
    <section>
      <p>
        <a href={PATHS.newJob}>Create a job from a template</a>
      </p>
      {v.jobs.length === 0 ? (
        <Empty>No jobs yet.</Empty>
      ) : (
        <table data-testid="jobs-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              <th scope="col">Job id</th>
              <th scope="col">Results</th>
            </tr>
          </thead>
          <tbody>
            {v.jobs.map((j) => (
              <tr>
                <td>
                  <a href={PATHS.job(j.jobId)}>{j.name}</a>
                </td>
                <td>{j.kind}</td>
                <td>
                  <StateBadge state={j.status} />
                </td>
                <td>{fmtTime(j.createdAt)}</td>
                <td>
                  <code>{j.jobId}</code>
                </td>
                <td>
                  <a href={PATHS.result(j.jobId)}>results</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
