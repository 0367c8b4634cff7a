import type {
  OverlapJobSpec,
  OverlapMessage,
  OverlapRefusal,
  OverlapRelease,
} from '@fedmark/protocol';
import type { Db } from './db.ts';
import type { JobStatusName } from './job-store.ts';

/** An overlap job (docs/overlap.md): no rounds, one row per pair of participants. */
export interface OverlapJobRecord {
  id: string;
  name: string;
  spec: OverlapJobSpec;
  keyId: string;
  participants: string[];
  status: JobStatusName;
  createdAt: string;
  deadlineAt: number;
  failure: { code: string; message: string } | null;
}

/** One pair's progress: each step's signed message as it arrived (null until then). */
export interface OverlapPairRecord {
  jobId: string;
  pair: number;
  initiator: string;
  responder: string;
  request: OverlapMessage | null;
  reply: OverlapMessage | null;
  release: OverlapRelease | null;
  refusal: OverlapRefusal | null;
}

export interface OverlapStore {
  insertJob(
    j: OverlapJobRecord,
    pairs: readonly Omit<OverlapPairRecord, 'request' | 'reply' | 'release' | 'refusal'>[]
  ): void;
  getJob(id: string): OverlapJobRecord | undefined;
  listJobs(): OverlapJobRecord[];
  runningJobs(): OverlapJobRecord[];
  updateJob(id: string, patch: Pick<OverlapJobRecord, 'status' | 'failure'>): void;
  pairs(jobId: string): OverlapPairRecord[];
  getPair(jobId: string, pair: number): OverlapPairRecord | undefined;
  /** Sets one step's column if it is still empty; returns false when it was already set. */
  setStep(
    jobId: string,
    pair: number,
    step: 'request' | 'reply' | 'release' | 'refusal',
    body: OverlapMessage | OverlapRelease | OverlapRefusal
  ): boolean;
}

interface JobRow {
  id: string;
  name: string;
  spec: string;
  key_id: string;
  participants: string;
  status: string;
  created_at: string;
  deadline_at: number;
  failure: string | null;
}

interface PairRow {
  job_id: string;
  pair: number;
  initiator: string;
  responder: string;
  request: string | null;
  reply: string | null;
  release: string | null;
  refusal: string | null;
}

function jobOf(r: JobRow): OverlapJobRecord {
  return {
    id: r.id,
    name: r.name,
    spec: JSON.parse(r.spec) as OverlapJobSpec,
    keyId: r.key_id,
    participants: JSON.parse(r.participants) as string[],
    status: r.status as JobStatusName,
    createdAt: r.created_at,
    deadlineAt: r.deadline_at,
    failure:
      r.failure === null ? null : (JSON.parse(r.failure) as { code: string; message: string }),
  };
}

function parsed<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T);
}

function pairOf(r: PairRow): OverlapPairRecord {
  return {
    jobId: r.job_id,
    pair: r.pair,
    initiator: r.initiator,
    responder: r.responder,
    request: parsed<OverlapMessage>(r.request),
    reply: parsed<OverlapMessage>(r.reply),
    release: parsed<OverlapRelease>(r.release),
    refusal: parsed<OverlapRefusal>(r.refusal),
  };
}

const STEP_COLUMNS = new Set(['request', 'reply', 'release', 'refusal']);

export function sqliteOverlapStore(db: Db): OverlapStore {
  return {
    insertJob(j, pairs) {
      db.prepare(
        'INSERT INTO overlap_jobs (id, name, spec, key_id, participants, status, created_at, deadline_at, failure) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'
      ).run(
        j.id,
        j.name,
        JSON.stringify(j.spec),
        j.keyId,
        JSON.stringify(j.participants),
        j.status,
        j.createdAt,
        j.deadlineAt,
        j.failure === null ? null : JSON.stringify(j.failure)
      );
      const insert = db.prepare(
        'INSERT INTO overlap_pairs (job_id, pair, initiator, responder) VALUES (?, ?, ?, ?)'
      );
      for (const p of pairs) insert.run(p.jobId, p.pair, p.initiator, p.responder);
    },
    getJob(id) {
      const r = db.prepare('SELECT * FROM overlap_jobs WHERE id = ?').get(id) as JobRow | undefined;
      return r ? jobOf(r) : undefined;
    },
    listJobs() {
      return (
        db.prepare('SELECT * FROM overlap_jobs ORDER BY created_at, id').all() as JobRow[]
      ).map(jobOf);
    },
    runningJobs() {
      return (
        db
          .prepare("SELECT * FROM overlap_jobs WHERE status = 'running' ORDER BY created_at, id")
          .all() as JobRow[]
      ).map(jobOf);
    },
    updateJob(id, patch) {
      db.prepare('UPDATE overlap_jobs SET status = ?, failure = ? WHERE id = ?').run(
        patch.status,
        patch.failure === null ? null : JSON.stringify(patch.failure),
        id
      );
    },
    pairs(jobId) {
      return (
        db
          .prepare('SELECT * FROM overlap_pairs WHERE job_id = ? ORDER BY pair')
          .all(jobId) as PairRow[]
      ).map(pairOf);
    },
    getPair(jobId, pair) {
      const r = db
        .prepare('SELECT * FROM overlap_pairs WHERE job_id = ? AND pair = ?')
        .get(jobId, pair) as PairRow | undefined;
      return r ? pairOf(r) : undefined;
    },
    setStep(jobId, pair, step, body) {
      // The column name comes from a closed set, never from input.
      if (!STEP_COLUMNS.has(step)) throw new RangeError(`unknown overlap step ${step}`);
      const info = db
        .prepare(
          `UPDATE overlap_pairs SET ${step} = ? WHERE job_id = ? AND pair = ? AND ${step} IS NULL`
        )
        .run(JSON.stringify(body), jobId, pair);
      return info.changes === 1;
    },
  };
}
