import { Empty } from '@fedmark/protocol/console';
import type { Ctx } from '../context.ts';
import { jobList } from '../jobs/status.ts';
import { fmtTime } from './format.ts';
import { StateBadge } from './job-state.tsx';
import { PATHS } from './paths.ts';

export interface ResultRow {
  jobId: string;
  name: string;
  kind: string;
  status: string;
  createdAt: string;
  publishedRounds: number;
  rounds: number;
}

/** Jobs with at least one published round, newest first. */
export function loadResultsView(ctx: Ctx): { rows: ResultRow[] } {
  const rows = jobList(ctx)
    .jobs.map((j) => {
      const rounds = ctx.store.jobs.rounds(j.jobId);
      return {
        ...j,
        publishedRounds: rounds.filter((r) => r.result !== null).length,
        rounds: rounds.length,
      };
    })
    .filter((r) => r.publishedRounds > 0)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.jobId.localeCompare(b.jobId));
  return { rows };
}

export function ResultsPage(v: { rows: ResultRow[] }) {
  return v.rows.length === 0 ? (
    <Empty>
      No results yet: a job's results appear here once its first round is published.{' '}
      <a href={PATHS.newJob}>Create a job</a>.
    </Empty>
  ) : (
    <table data-testid="results-table">
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Kind</th>
          <th scope="col">State</th>
          <th scope="col" class="num">
            Published rounds
          </th>
          <th scope="col">Created</th>
        </tr>
      </thead>
      <tbody>
        {v.rows.map((r) => (
          <tr>
            <td>
              <a href={PATHS.result(r.jobId)}>{r.name}</a>
            </td>
            <td>{r.kind}</td>
            <td>
              <StateBadge state={r.status} />
            </td>
            <td class="num">
              {r.publishedRounds} of {r.rounds}
            </td>
            <td>{fmtTime(r.createdAt)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
