/**
 * Internal: the body of the worker thread that owns the PostgreSQL connections. It runs from
 * source text (`pgWorkerMain.toString()`, see _bridge.ts), so it MUST NOT use anything from its
 * module scope: no imports, no helpers outside the function, only its `require` argument. That is
 * what lets the same code run under tsx, vitest and the esbuild bundle without a worker entry file.
 *
 * Requests come one at a time (the main thread blocks until each is answered):
 *   open  {sql, params}  -> a connection from the pool, a cursor (pg-cursor: a portal read with a
 *                           row limit, so the server streams), the first batch
 *   read  {id}           -> the next batch (prefetched while the main thread worked)
 *   close {id}           -> cursor closed, connection back to the pool
 *   query {sql, params}  -> all rows of a small statement (mapping checks)
 * Each answer is posted on the port and then signalled through the shared Int32Array.
 */
import type { MessagePort } from 'node:worker_threads';

export interface WorkerData {
  port: MessagePort;
  ctl: SharedArrayBuffer;
  url: string;
  pgPath: string;
  cursorPath: string;
  batchRows: number;
  maxConnections: number;
}

export type WorkerRequest =
  | { op: 'open'; sql: string; params: unknown[] }
  | { op: 'read'; id: number }
  | { op: 'close'; id: number }
  | { op: 'query'; sql: string; params: unknown[] }
  | { op: 'end' };

export type WorkerReply =
  | { ok: true; id?: number; rows: unknown[][]; done: boolean }
  | { ok: false; message: string; code: string | null };

export function pgWorkerMain(require: (id: string) => unknown): void {
  type Rows = unknown[][];
  interface CursorLike {
    read(n: number): Promise<Rows>;
    close(): Promise<void>;
  }
  interface ClientLike {
    query(q: unknown, params?: unknown[]): Promise<{ rows: Rows }> | CursorLike;
    release(destroy?: boolean): void;
  }
  const wt = require('node:worker_threads') as typeof import('node:worker_threads');
  const data = wt.workerData as WorkerData;
  const pg = require(data.pgPath) as typeof import('pg');
  const Cursor = require(data.cursorPath) as new (
    sql: string,
    values: unknown[],
    cfg: { rowMode: 'array' }
  ) => CursorLike;
  // bigint (int8) and numeric come back as strings by default; every value the node reads is a
  // count, an epoch millisecond or an amount, all exact in a double.
  pg.types.setTypeParser(20, (v: string) => Number(v));
  pg.types.setTypeParser(1700, (v: string) => Number(v));
  const pool = new pg.Pool({
    connectionString: data.url,
    max: data.maxConnections,
    idleTimeoutMillis: 10_000,
    application_name: 'fedmark-node',
    // UTC, so a timestamp without time zone reads as UTC; read-only as a second line of defence
    // behind the read-only role docs/warehouse.md recommends.
    options: '-c TimeZone=UTC -c default_transaction_read_only=on',
  });
  pool.on('error', () => {
    /* an idle connection dropped: the pool replaces it on the next connect */
  });
  const ctl = new Int32Array(data.ctl);
  const streams = new Map<
    number,
    { client: ClientLike; cursor: CursorLike; next: Promise<{ rows?: Rows; err?: unknown }> }
  >();
  let nextId = 1;
  const reply = (msg: WorkerReply): void => {
    data.port.postMessage(msg);
    Atomics.store(ctl, 0, 1);
    Atomics.notify(ctl, 0);
  };
  const prefetch = (cursor: CursorLike) =>
    cursor.read(data.batchRows).then(
      (rows) => ({ rows }),
      (err: unknown) => ({ err })
    );
  const finish = async (id: number, destroy: boolean): Promise<void> => {
    const s = streams.get(id);
    if (!s) return;
    streams.delete(id);
    try {
      if (!destroy) await s.cursor.close();
    } catch {
      destroy = true;
    }
    s.client.release(destroy);
  };
  const batch = async (id: number): Promise<WorkerReply> => {
    const s = streams.get(id);
    if (!s) return { ok: false, message: `no open warehouse stream ${id}`, code: null };
    const got = await s.next;
    if (got.err !== undefined) {
      await finish(id, true);
      throw got.err;
    }
    const rows = got.rows ?? [];
    const done = rows.length < data.batchRows;
    if (done) await finish(id, false);
    else s.next = prefetch(s.cursor);
    return { ok: true, id, rows, done };
  };
  const handle = async (req: WorkerRequest): Promise<WorkerReply> => {
    switch (req.op) {
      case 'open': {
        const client = (await pool.connect()) as unknown as ClientLike;
        const cursor = client.query(
          new Cursor(req.sql, req.params, { rowMode: 'array' })
        ) as CursorLike;
        const id = nextId++;
        streams.set(id, { client, cursor, next: prefetch(cursor) });
        return batch(id);
      }
      case 'read':
        return batch(req.id);
      case 'close':
        await finish(req.id, false);
        return { ok: true, rows: [], done: true };
      case 'query': {
        const r = await pool.query({ text: req.sql, values: req.params, rowMode: 'array' });
        return { ok: true, rows: r.rows as Rows, done: true };
      }
      case 'end':
        for (const id of [...streams.keys()]) await finish(id, true);
        await pool.end();
        return { ok: true, rows: [], done: true };
    }
  };
  data.port.on('message', (req: WorkerRequest) => {
    handle(req).then(reply, (err: unknown) => {
      const e = err as { message?: unknown; code?: unknown };
      reply({
        ok: false,
        message: typeof e?.message === 'string' ? e.message : String(err),
        code: typeof e?.code === 'string' ? e.code : null,
      });
    });
  });
}
