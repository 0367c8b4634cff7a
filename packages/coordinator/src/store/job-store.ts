import type {
  SecaggAdvert,
  SecaggSetup,
  SecaggUnmask,
  Enforced,
  JobEvent,
  RoundJobSpec,
  Receipt,
  RoundResult,
  SegmentQuery,
} from '@fedmark/protocol';
import type { Db } from './db.ts';

export type JobStatusName = 'running' | 'published' | 'failed';
export type RoundStatusName = 'setup' | 'open' | 'decrypting' | 'published' | 'failed';

/**
 * A round's secure-aggregation state (docs/secure-aggregation.md): the advertisements the setup
 * phase closed with (the nodes whose masks the round uses), and once masked input closed, the
 * signed survivor and dropped sets and, after the unmask phase, the correction to add to the
 * decrypted masked sum.
 */
export interface SecaggState {
  adverts: SecaggAdvert[];
  survivors?: string[];
  dropped?: string[];
  setsSignature?: string;
  /** Decimal slot values in Z_t, added to the decrypted masked sum (mod t) to unmask it. */
  correction?: string[];
}

export interface JobRecord {
  id: string;
  name: string;
  kind: RoundJobSpec['kind'];
  spec: RoundJobSpec;
  keyId: string;
  participants: string[];
  status: JobStatusName;
  createdAt: string;
  failure: { code: string; message: string } | null;
  rfmMeans: { recency: number; frequency: number; monetary: number } | null;
}

export interface RoundRecord {
  jobId: string;
  round: number;
  query: SegmentQuery;
  layoutHash: string;
  layoutLength: number;
  status: RoundStatusName;
  openedAt: number;
  deadlineAt: number;
  /** When the minimum number of submissions was first reached (starts the straggler wait). */
  quorumAt: number | null;
  closedAt: number | null;
  closeReason: string | null;
  contributors: string[] | null;
  decryptors: string[] | null;
  /** Base64 ciphertexts of the homomorphic sum. */
  aggregate: string[] | null;
  result: RoundResult | null;
  secagg: SecaggState | null;
}

export interface SubmissionRecord {
  jobId: string;
  round: number;
  node: string;
  keyId: string;
  layoutHash: string;
  /** The round spec hash the node signed (docs/federation-protocol.md "Bound round specs"). */
  specHash: string;
  ciphertextHashes: string[];
  enforced: Enforced;
  signature: string;
  receivedAt: string;
  receipt: Receipt;
}

export interface RefusalRecord {
  jobId: string;
  round: number;
  node: string;
  reason: string;
  signature: string;
  receipt: Receipt;
}

export interface DecryptionRecord {
  node: string;
  values: string[];
  signature: string;
  at: string;
}

export type NewEvent = Omit<JobEvent, 'seq'>;

/**
 * Jobs, rounds, submissions, refusals, decryptions and the job event log. Callers wrap each
 * state change and its event in one `Store.transaction`.
 */
export interface JobStore {
  insertJob(j: JobRecord): void;
  getJob(id: string): JobRecord | undefined;
  listJobs(): JobRecord[];
  updateJob(id: string, patch: Partial<Pick<JobRecord, 'status' | 'failure' | 'rfmMeans'>>): void;
  insertRound(
    r: Pick<
      RoundRecord,
      'jobId' | 'round' | 'query' | 'layoutHash' | 'layoutLength' | 'openedAt' | 'deadlineAt'
    >
  ): void;
  getRound(jobId: string, round: number): RoundRecord | undefined;
  rounds(jobId: string): RoundRecord[];
  /** Rounds in state open or decrypting, across jobs (resumed on start). */
  activeRounds(): RoundRecord[];
  /**
   * The earliest deadline later than `after` of a round in setup or open (when its tasks stop
   * being listed even if nothing is written), or undefined.
   */
  nextRoundDeadline(after: number): number | undefined;
  updateRound(
    jobId: string,
    round: number,
    patch: Partial<Omit<RoundRecord, 'jobId' | 'round' | 'query'>>
  ): void;
  insertSubmission(s: SubmissionRecord, ciphertexts: Uint8Array[]): void;
  getSubmission(jobId: string, round: number, node: string): SubmissionRecord | undefined;
  submissions(jobId: string, round: number): SubmissionRecord[];
  ciphertexts(jobId: string, round: number, node: string): Uint8Array[];
  insertRefusal(r: RefusalRecord): void;
  getRefusal(jobId: string, round: number, node: string): RefusalRecord | undefined;
  refusals(jobId: string, round: number): RefusalRecord[];
  insertDecryption(jobId: string, round: number, d: DecryptionRecord): void;
  decryptions(jobId: string, round: number): DecryptionRecord[];
  insertSecaggSetup(s: SecaggSetup): void;
  secaggSetups(jobId: string, round: number): SecaggSetup[];
  getSecaggSetup(jobId: string, round: number, node: string): SecaggSetup | undefined;
  insertSecaggUnmask(u: SecaggUnmask): void;
  secaggUnmasks(jobId: string, round: number): SecaggUnmask[];
  getSecaggUnmask(jobId: string, round: number, node: string): SecaggUnmask | undefined;
  /**
   * Who sent a setup (or an unmask answer) for the round, by name only: the polls and closing
   * rules that only count or look for a node need not parse every body (a setup carries a box
   * per participant).
   */
  secaggSenders(jobId: string, round: number, kind: 'setup' | 'unmask'): string[];
  appendEvent(e: NewEvent): number;
  events(jobId: string, afterSeq: number): JobEvent[];
}

type Row = Record<string, unknown>;
const json = <T>(v: unknown): T => JSON.parse(v as string) as T;
const jsonOrNull = <T>(v: unknown): T | null => (v === null || v === undefined ? null : json<T>(v));

const ROUND_COLUMNS: Record<string, string> = {
  status: 'status',
  layoutHash: 'layout_hash',
  layoutLength: 'layout_length',
  openedAt: 'opened_at',
  deadlineAt: 'deadline_at',
  quorumAt: 'quorum_at',
  closedAt: 'closed_at',
  closeReason: 'close_reason',
  contributors: 'contributors',
  decryptors: 'decryptors',
  aggregate: 'aggregate',
  result: 'result',
  secagg: 'secagg',
};
const JSON_ROUND_FIELDS = new Set(['contributors', 'decryptors', 'aggregate', 'result', 'secagg']);

export function sqliteJobStore(db: Db): JobStore {
  const jobFromRow = (r: Row): JobRecord => ({
    id: r['id'] as string,
    name: r['name'] as string,
    kind: r['kind'] as JobRecord['kind'],
    spec: json(r['spec']),
    keyId: r['key_id'] as string,
    participants: json(r['participants']),
    status: r['status'] as JobStatusName,
    createdAt: r['created_at'] as string,
    failure: r['failure_code']
      ? { code: r['failure_code'] as string, message: r['failure_message'] as string }
      : null,
    rfmMeans: jsonOrNull(r['rfm_means']),
  });
  const roundFromRow = (r: Row): RoundRecord => ({
    jobId: r['job_id'] as string,
    round: r['round'] as number,
    query: json(r['query']),
    layoutHash: r['layout_hash'] as string,
    layoutLength: r['layout_length'] as number,
    status: r['status'] as RoundStatusName,
    openedAt: r['opened_at'] as number,
    deadlineAt: r['deadline_at'] as number,
    quorumAt: (r['quorum_at'] as number | null) ?? null,
    closedAt: (r['closed_at'] as number | null) ?? null,
    closeReason: (r['close_reason'] as string | null) ?? null,
    contributors: jsonOrNull(r['contributors']),
    decryptors: jsonOrNull(r['decryptors']),
    aggregate: jsonOrNull(r['aggregate']),
    result: jsonOrNull(r['result']),
    secagg: jsonOrNull(r['secagg']),
  });
  const subFromRow = (r: Row): SubmissionRecord => ({
    jobId: r['job_id'] as string,
    round: r['round'] as number,
    node: r['node'] as string,
    keyId: r['key_id'] as string,
    layoutHash: r['layout_hash'] as string,
    specHash: r['spec_hash'] as string,
    ciphertextHashes: json(r['ciphertext_hashes']),
    enforced: json(r['enforced']),
    signature: r['signature'] as string,
    receivedAt: r['received_at'] as string,
    receipt: json(r['receipt']),
  });
  const refFromRow = (r: Row): RefusalRecord => ({
    jobId: r['job_id'] as string,
    round: r['round'] as number,
    node: r['node'] as string,
    reason: r['reason'] as string,
    signature: r['signature'] as string,
    receipt: json(r['receipt']),
  });
  const q = {
    insertJob: db.prepare(
      'INSERT INTO jobs (id, name, kind, spec, key_id, participants, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    ),
    getJob: db.prepare<[string], Row>('SELECT * FROM jobs WHERE id = ?'),
    listJobs: db.prepare<[], Row>('SELECT * FROM jobs ORDER BY created_at, id'),
    insertRound: db.prepare(
      'INSERT INTO rounds (job_id, round, query, layout_hash, layout_length, status, opened_at, deadline_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)'
    ),
    getRound: db.prepare<[string, number], Row>(
      'SELECT * FROM rounds WHERE job_id = ? AND round = ?'
    ),
    rounds: db.prepare<[string], Row>('SELECT * FROM rounds WHERE job_id = ? ORDER BY round'),
    active: db.prepare<[], Row>(
      "SELECT * FROM rounds WHERE status IN ('setup', 'open', 'decrypting') ORDER BY job_id, round"
    ),
    nextDeadline: db
      .prepare<[number], number | null>(
        "SELECT min(deadline_at) FROM rounds WHERE status IN ('setup', 'open') AND deadline_at > ?"
      )
      .pluck(),
    insertSub: db.prepare(
      'INSERT INTO submissions (job_id, round, node, key_id, layout_hash, spec_hash, ciphertext_hashes, enforced, signature, received_at, receipt) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'
    ),
    insertCt: db.prepare(
      'INSERT INTO submission_ciphertexts (job_id, round, node, idx, bytes) VALUES (?, ?, ?, ?, ?)'
    ),
    getSub: db.prepare<[string, number, string], Row>(
      'SELECT * FROM submissions WHERE job_id = ? AND round = ? AND node = ?'
    ),
    subs: db.prepare<[string, number], Row>(
      'SELECT * FROM submissions WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    cts: db.prepare<[string, number, string], { bytes: Buffer }>(
      'SELECT bytes FROM submission_ciphertexts WHERE job_id = ? AND round = ? AND node = ? ORDER BY idx'
    ),
    insertRef: db.prepare(
      'INSERT INTO refusals (job_id, round, node, reason, signature, receipt) VALUES (?, ?, ?, ?, ?, ?)'
    ),
    getRef: db.prepare<[string, number, string], Row>(
      'SELECT * FROM refusals WHERE job_id = ? AND round = ? AND node = ?'
    ),
    refs: db.prepare<[string, number], Row>(
      'SELECT * FROM refusals WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    insertDec: db.prepare(
      'INSERT INTO decryptions (job_id, round, node, "values", signature, at) VALUES (?, ?, ?, ?, ?, ?)'
    ),
    decs: db.prepare<[string, number], Row>(
      'SELECT * FROM decryptions WHERE job_id = ? AND round = ? ORDER BY rowid'
    ),
    insertSetup: db.prepare(
      'INSERT INTO secagg_setups (job_id, round, node, body) VALUES (?, ?, ?, ?)'
    ),
    setups: db.prepare<[string, number], { body: string }>(
      'SELECT body FROM secagg_setups WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    insertUnmask: db.prepare(
      'INSERT INTO secagg_unmasks (job_id, round, node, body) VALUES (?, ?, ?, ?)'
    ),
    setupOf: db.prepare<[string, number, string], { body: string }>(
      'SELECT body FROM secagg_setups WHERE job_id = ? AND round = ? AND node = ?'
    ),
    unmaskOf: db.prepare<[string, number, string], { body: string }>(
      'SELECT body FROM secagg_unmasks WHERE job_id = ? AND round = ? AND node = ?'
    ),
    setupSenders: db.prepare<[string, number], { node: string }>(
      'SELECT node FROM secagg_setups WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    unmaskSenders: db.prepare<[string, number], { node: string }>(
      'SELECT node FROM secagg_unmasks WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    unmasks: db.prepare<[string, number], { body: string }>(
      'SELECT body FROM secagg_unmasks WHERE job_id = ? AND round = ? ORDER BY node'
    ),
    insertEvent: db.prepare(
      'INSERT INTO events (job_id, at, type, round, node, detail) VALUES (?, ?, ?, ?, ?, ?)'
    ),
    events: db.prepare<[string, number], Row>(
      'SELECT * FROM events WHERE job_id = ? AND seq > ? ORDER BY seq'
    ),
  };
  return {
    insertJob: (j) =>
      void q.insertJob.run(
        j.id,
        j.name,
        j.kind,
        JSON.stringify(j.spec),
        j.keyId,
        JSON.stringify(j.participants),
        j.status,
        j.createdAt
      ),
    getJob: (id) => {
      const r = q.getJob.get(id);
      return r ? jobFromRow(r) : undefined;
    },
    listJobs: () => q.listJobs.all().map(jobFromRow),
    updateJob: (id, patch) => {
      if (patch.status !== undefined)
        db.prepare('UPDATE jobs SET status = ? WHERE id = ?').run(patch.status, id);
      if (patch.failure !== undefined) {
        db.prepare('UPDATE jobs SET failure_code = ?, failure_message = ? WHERE id = ?').run(
          patch.failure?.code ?? null,
          patch.failure?.message ?? null,
          id
        );
      }
      if (patch.rfmMeans !== undefined)
        db.prepare('UPDATE jobs SET rfm_means = ? WHERE id = ?').run(
          JSON.stringify(patch.rfmMeans),
          id
        );
    },
    insertRound: (r) =>
      void q.insertRound.run(
        r.jobId,
        r.round,
        JSON.stringify(r.query),
        r.layoutHash,
        r.layoutLength,
        // Every round starts with the secure-aggregation setup phase.
        'setup',
        r.openedAt,
        r.deadlineAt
      ),
    getRound: (jobId, round) => {
      const r = q.getRound.get(jobId, round);
      return r ? roundFromRow(r) : undefined;
    },
    rounds: (jobId) => q.rounds.all(jobId).map(roundFromRow),
    activeRounds: () => q.active.all().map(roundFromRow),
    nextRoundDeadline: (after) => q.nextDeadline.get(after) ?? undefined,
    updateRound: (jobId, round, patch) => {
      for (const [key, value] of Object.entries(patch)) {
        const col = ROUND_COLUMNS[key];
        if (!col) throw new TypeError(`unknown round field ${key}`);
        const v = JSON_ROUND_FIELDS.has(key) && value !== null ? JSON.stringify(value) : value;
        db.prepare(`UPDATE rounds SET ${col} = ? WHERE job_id = ? AND round = ?`).run(
          v as string | number | null,
          jobId,
          round
        );
      }
    },
    insertSubmission: (s, cts) => {
      q.insertSub.run(
        s.jobId,
        s.round,
        s.node,
        s.keyId,
        s.layoutHash,
        s.specHash,
        JSON.stringify(s.ciphertextHashes),
        JSON.stringify(s.enforced),
        s.signature,
        s.receivedAt,
        JSON.stringify(s.receipt)
      );
      cts.forEach((c, i) => {
        q.insertCt.run(
          s.jobId,
          s.round,
          s.node,
          i,
          Buffer.from(c.buffer, c.byteOffset, c.byteLength)
        );
      });
    },
    getSubmission: (jobId, round, node) => {
      const r = q.getSub.get(jobId, round, node);
      return r ? subFromRow(r) : undefined;
    },
    submissions: (jobId, round) => q.subs.all(jobId, round).map(subFromRow),
    ciphertexts: (jobId, round, node) =>
      q.cts.all(jobId, round, node).map((r) => new Uint8Array(r.bytes)),
    insertRefusal: (r) =>
      void q.insertRef.run(
        r.jobId,
        r.round,
        r.node,
        r.reason,
        r.signature,
        JSON.stringify(r.receipt)
      ),
    getRefusal: (jobId, round, node) => {
      const r = q.getRef.get(jobId, round, node);
      return r ? refFromRow(r) : undefined;
    },
    refusals: (jobId, round) => q.refs.all(jobId, round).map(refFromRow),
    insertDecryption: (jobId, round, d) =>
      void q.insertDec.run(jobId, round, d.node, JSON.stringify(d.values), d.signature, d.at),
    decryptions: (jobId, round) =>
      q.decs.all(jobId, round).map((r) => ({
        node: r['node'] as string,
        values: json<string[]>(r['values']),
        signature: r['signature'] as string,
        at: r['at'] as string,
      })),
    insertSecaggSetup: (x) => void q.insertSetup.run(x.jobId, x.round, x.node, JSON.stringify(x)),
    secaggSetups: (jobId, round) =>
      q.setups.all(jobId, round).map((r) => json<SecaggSetup>(r.body)),
    insertSecaggUnmask: (x) => void q.insertUnmask.run(x.jobId, x.round, x.node, JSON.stringify(x)),
    secaggUnmasks: (jobId, round) =>
      q.unmasks.all(jobId, round).map((r) => json<SecaggUnmask>(r.body)),
    getSecaggSetup: (jobId, round, node) => {
      const r = q.setupOf.get(jobId, round, node);
      return r ? json<SecaggSetup>(r.body) : undefined;
    },
    getSecaggUnmask: (jobId, round, node) => {
      const r = q.unmaskOf.get(jobId, round, node);
      return r ? json<SecaggUnmask>(r.body) : undefined;
    },
    secaggSenders: (jobId, round, kind) =>
      (kind === 'setup' ? q.setupSenders : q.unmaskSenders).all(jobId, round).map((r) => r.node),
    appendEvent: (e) =>
      Number(
        q.insertEvent.run(e.jobId, e.at, e.type, e.round, e.node, JSON.stringify(e.detail))
          .lastInsertRowid
      ),
    events: (jobId, after) =>
      q.events.all(jobId, after).map((r) => ({
        seq: r['seq'] as number,
        jobId: r['job_id'] as string,
        at: r['at'] as string,
        type: r['type'] as JobEvent['type'],
        round: (r['round'] as number | null) ?? null,
        node: (r['node'] as string | null) ?? null,
        detail: json<Record<string, unknown>>(r['detail']),
      })),
  };
}
