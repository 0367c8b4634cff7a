import {
  JobEventsResponseSchema,
  type JobEvent,
  JobResultSchema,
  JobStatusSchema,
  KeyEpochSchema,
  ProtocolError,
  errorFromWire,
  fetchWithRetry,
  type JobResult,
  type JobSpecInput,
  type JobStatus,
  type KeyEpoch,
} from '@fedmark/protocol';
import { z } from 'zod';
import { sleep } from './processes.ts';

const CreatedSchema = z.object({ jobId: z.string() });
const ActiveEpochSchema = z.object({ epoch: KeyEpochSchema });

type Fetch = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * The operator's HTTP client for the coordinator API (Bearer token), every response
 * zod-validated. `fetch` is the transport: the simulation passes `coordinatorFetch` (HTTPS to
 * the pinned TLS key); the default, the global fetch, serves unit tests on loopback HTTP.
 */
export class OperatorClient {
  constructor(
    readonly baseUrl: string,
    private readonly token: string,
    private readonly fetch: Fetch = (u, i) => globalThis.fetch(u, i)
  ) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await this.fetchWithRetry(method, path, body);
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) throw errorFromWire(json, `${method} ${path} answered ${res.status}`);
    return json;
  }

  /**
   * Creates a job. While the key ceremony is still running the coordinator answers KEY_EPOCH_PENDING;
   * this waits for the epoch (up to `waitForKeysMs`) instead of failing the first try.
   */
  async createJob(spec: JobSpecInput, waitForKeysMs = 180_000): Promise<string> {
    const until = Date.now() + waitForKeysMs;
    for (;;) {
      try {
        return CreatedSchema.parse(await this.call('POST', '/v1/jobs', spec)).jobId;
      } catch (err) {
        const waiting = err instanceof ProtocolError && err.code === 'KEY_EPOCH_PENDING';
        if (!waiting || Date.now() > until) throw err;
        await sleep(250);
      }
    }
  }

  /** One request, retried on transient network failures (protocol http-retry.ts). */
  private fetchWithRetry(method: string, path: string, body?: unknown): Promise<Response> {
    return fetchWithRetry(this.fetch, new URL(path, this.baseUrl).href, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  /** The active key epoch, or null while the key ceremony is still running (409 KEY_EPOCH_PENDING). */
  async activeKeyEpoch(): Promise<KeyEpoch | null> {
    try {
      return ActiveEpochSchema.parse(await this.call('GET', '/v1/admin/keys/active')).epoch;
    } catch (err) {
      if (err instanceof ProtocolError && err.code === 'KEY_EPOCH_PENDING') return null;
      throw err;
    }
  }

  async job(jobId: string): Promise<JobStatus> {
    return JobStatusSchema.parse(await this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}`));
  }

  async result(jobId: string): Promise<JobResult> {
    return JobResultSchema.parse(
      await this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}/result`)
    );
  }

  /** The job's event log (docs/coordinator.md "Job events"). */
  async events(jobId: string): Promise<JobEvent[]> {
    return JobEventsResponseSchema.parse(
      await this.call('GET', `/v1/jobs/${encodeURIComponent(jobId)}/events`)
    ).events;
  }

  /** Polls until the job is published or failed, reporting each status change. */
  async waitForJob(
    jobId: string,
    opts: { timeoutMs: number; onStatus?: (s: JobStatus) => void }
  ): Promise<JobStatus> {
    const until = Date.now() + opts.timeoutMs;
    let last = '';
    for (;;) {
      const status = await this.job(jobId);
      const fingerprint = JSON.stringify(
        status.rounds.map((r) => [r.status, r.nodes.map((n) => n.state), r.decryptions.length])
      );
      if (fingerprint !== last) {
        last = fingerprint;
        opts.onStatus?.(status);
      }
      if (status.status !== 'running') return status;
      if (Date.now() > until)
        throw new Error(`job ${jobId} still running after ${opts.timeoutMs} ms`);
      await sleep(100);
    }
  }
}
