import { Alert, Empty, Facts } from '@fedmark/protocol/console';
import type { JobEvent, JobStatus } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { eventLine } from '../cli/render.ts';
import { jobStatus } from '../jobs/status.ts';
import { fmtTime } from './format.ts';
import { StateBadge } from './job-state.tsx';
import { PATHS } from './paths.ts';

/** Events shown on the job page: the latest ones (`job watch` and the API have them all). */
export const JOB_PAGE_EVENTS = 50;

/** A running job's page reloads itself this often (meta refresh: the console has no scripts). */
export const JOB_REFRESH_SECONDS = 2;

export interface JobView {
  status: JobStatus;
  events: JobEvent[];
  eventsTotal: number;
  publishedRounds: number;
}

/** Status per round and participant, plus the latest events; NOT_FOUND for an unknown id. */
export function loadJobView(ctx: Ctx, jobId: string): JobView {
  const status = jobStatus(ctx, jobId);
  const all = ctx.store.jobs.events(jobId, 0);
  return {
    status,
    events: all.slice(-JOB_PAGE_EVENTS),
    eventsTotal: all.length,
    publishedRounds: status.rounds.filter((r) => r.status === 'published').length,
  };
}

const decryptionWord = (agrees: boolean | null) =>
  agrees === null ? 'awaiting' : agrees ? 'agrees' : 'disagrees';

function Round(p: { round: JobStatus['rounds'][number]; minNodes: number }) {
  const r = p.round;
  const count = (s: string) => r.nodes.filter((n) => n.state === s).length;
  return (
    <section class="card" data-testid={`round-${r.round}`}>
      <h2>
        Round {r.round} <StateBadge state={r.status} testId={`round-${r.round}-state`} />
      </h2>
      <p>
        {count('submitted')} of {r.nodes.length} submitted, {count('refused')} refused,{' '}
        {count('pending')} pending (at least {p.minNodes} needed).
        {r.deadline ? ` Deadline ${fmtTime(r.deadline)}.` : ''}
        {r.closeReason ? ` Closed: ${r.closeReason}.` : ''}
      </p>
      <table>
        <caption>Participants</caption>
        <thead>
          <tr>
            <th scope="col">Node</th>
            <th scope="col">State</th>
            <th scope="col">Refusal reason</th>
          </tr>
        </thead>
        <tbody>
          {r.nodes.map((n) => (
            <tr>
              <td>{n.name}</td>
              <td>
                <StateBadge state={n.state} />
              </td>
              <td>{n.reason ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {r.decryptions.length === 0 ? (
        <Empty>No decryption shares asked yet: the round aggregates once it closes.</Empty>
      ) : (
        <table>
          <caption>
            Decryption shares ({r.decryptions.filter((d) => d.agrees !== null).length} of{' '}
            {r.decryptions.length} received; two agreeing publish)
          </caption>
          <thead>
            <tr>
              <th scope="col">Decryptor</th>
              <th scope="col">Share</th>
            </tr>
          </thead>
          <tbody>
            {r.decryptions.map((d) => (
              <tr>
                <td>{d.node}</td>
                <td>{decryptionWord(d.agrees)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export function JobPage(v: JobView) {
  const s = v.status;
  return (
    <>
      <Facts
        items={[
          ['State', <StateBadge state={s.status} testId="job-state" />],
          ['Job id', <code>{s.jobId}</code>],
          ['Kind', s.kind],
          ['Created', fmtTime(s.createdAt)],
          ['Key epoch', s.keyId],
          ['Minimum nodes', String(s.minNodes)],
          ['Participants', s.participants.join(', ')],
          [
            'Results',
            v.publishedRounds > 0 ? (
              <a
                href={PATHS.result(s.jobId)}
              >{`View results (${v.publishedRounds} round${v.publishedRounds === 1 ? '' : 's'} published)`}</a>
            ) : (
              'none published yet'
            ),
          ],
        ]}
      />
      {s.status === 'running' ? (
        <p class="muted">
          This page refreshes every {JOB_REFRESH_SECONDS} seconds while the job runs.
        </p>
      ) : null}
      {s.failure ? (
        <Alert kind="error">
          Failed: [{s.failure.code}] {s.failure.message}
        </Alert>
      ) : null}
      {s.rounds.length === 0 ? (
        <Empty>No round opened yet.</Empty>
      ) : (
        s.rounds.map((r) => <Round round={r} minNodes={s.minNodes} />)
      )}
      <section>
        <h2>Events</h2>
        {v.events.length === 0 ? (
          <Empty>No events yet.</Empty>
        ) : (
          <>
            {v.eventsTotal > v.events.length ? (
              <p class="muted">
                The latest {v.events.length} of {v.eventsTotal} events.
              </p>
            ) : null}
            <table data-testid="job-events">
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Event</th>
                </tr>
              </thead>
              <tbody>
                {v.events.map((e) => (
                  <tr>
                    <td class="num">{e.seq}</td>
                    <td>{eventLine(e)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </section>
      <p>
        <a href={PATHS.jobs}>All jobs</a>
      </p>
    </>
  );
}
