/**
 * Internal: a synchronous face on the asynchronous `pg` client. UnitSource is synchronous (the
 * analytics pull rows in merge-joins), so the PostgreSQL connections live in a worker thread and
 * the calling thread blocks on Atomics.wait until the worker has answered, then takes the answer
 * with receiveMessageOnPort. The SQLite backend blocks the calling thread in the same way while a
 * statement steps, so callers see no new behaviour; only one request is in flight at a time.
 */
import { createRequire } from 'node:module';
import {
  MessageChannel,
  receiveMessageOnPort,
  Worker,
  type MessagePort,
} from 'node:worker_threads';
import { ProtocolError } from '@fedmark/protocol';
import { pgWorkerMain, type WorkerReply, type WorkerRequest } from './_pg-worker.ts';

export interface BridgeOptions {
  batchRows: number;
  batchTimeoutMs: number;
  maxConnections?: number;
  /** Where the worker loads pg from (tests point it elsewhere to see a failed start). */
  pgPath?: string;
}

/** A PostgreSQL error (SQLSTATE in `sqlState`), or the warehouse could not be reached. */
export class WarehouseError extends ProtocolError {
  readonly sqlState: string | null;
  constructor(message: string, sqlState: string | null) {
    super('INTERNAL', `warehouse: ${message}`);
    this.name = 'WarehouseError';
    this.sqlState = sqlState;
  }
}

/**
 * The worker's program: pgWorkerMain's source text behind a small prelude. esbuild with
 * keepNames (tsx's transform) wraps inner functions in a `__name` helper that exists only in the
 * module the text came from, so the prelude supplies a no-op one. If the worker fails to start,
 * every request is answered with that failure; if it dies, its exit wakes the waiting caller
 * (state 2), so the caller never blocks on a worker that is gone.
 */
function workerSource(): string {
  return `var __name = (f) => f;
const { workerData: __data } = require('node:worker_threads');
const __ctl = new Int32Array(__data.ctl);
process.on('exit', () => { Atomics.store(__ctl, 0, 2); Atomics.notify(__ctl, 0); });
try {
  (${pgWorkerMain.toString()})(require);
} catch (err) {
  const message = 'the connection worker failed to start: ' + (err && err.message);
  __data.port.on('message', () => {
    __data.port.postMessage({ ok: false, message, code: null });
    Atomics.store(__ctl, 0, 1);
    Atomics.notify(__ctl, 0);
  });
}`;
}

export class PgBridge {
  readonly #worker: Worker;
  readonly #port: MessagePort;
  readonly #ctl: Int32Array;
  readonly #timeoutMs: number;
  #ended = false;

  constructor(url: string, opts: BridgeOptions) {
    const require = createRequire(import.meta.url);
    const { port1, port2 } = new MessageChannel();
    const ctl = new SharedArrayBuffer(4);
    this.#ctl = new Int32Array(ctl);
    this.#port = port1;
    this.#timeoutMs = opts.batchTimeoutMs;
    this.#worker = new Worker(workerSource(), {
      eval: true,
      workerData: {
        port: port2,
        ctl,
        url,
        pgPath: opts.pgPath ?? require.resolve('pg'),
        cursorPath: require.resolve('pg-cursor'),
        batchRows: opts.batchRows,
        maxConnections: opts.maxConnections ?? 8,
      },
      transferList: [port2],
    });
    // Neither the worker nor its idle connections keep the node's process alive.
    this.#worker.unref();
    this.#port.unref();
  }

  #call(req: WorkerRequest): Extract<WorkerReply, { ok: true }> {
    if (this.#ended) throw new WarehouseError('connection already closed', null);
    Atomics.store(this.#ctl, 0, 0);
    this.#port.postMessage(req);
    const waited = Atomics.wait(this.#ctl, 0, 0, this.#timeoutMs);
    const got = receiveMessageOnPort(this.#port);
    if (Atomics.load(this.#ctl, 0) === 2) this.#ended = true; // the worker exited
    if (!got) {
      throw new WarehouseError(
        waited === 'timed-out'
          ? `no answer within ${this.#timeoutMs} ms (mapping batchTimeoutMs)`
          : 'the connection worker stopped without answering',
        null
      );
    }
    const reply = got.message as WorkerReply;
    if (!reply.ok) throw new WarehouseError(reply.message, reply.code);
    return reply;
  }

  /** Opens a streamed statement and returns its first batch; `done` when there is no more. */
  open(sql: string, params: unknown[]): { id: number; rows: unknown[][]; done: boolean } {
    const r = this.#call({ op: 'open', sql, params });
    return { id: r.id as number, rows: r.rows, done: r.done };
  }

  read(id: number): { rows: unknown[][]; done: boolean } {
    const r = this.#call({ op: 'read', id });
    return { rows: r.rows, done: r.done };
  }

  close(id: number): void {
    this.#call({ op: 'close', id });
  }

  /** A small statement's rows at once (checks, catalog look-ups). */
  query(sql: string, params: unknown[] = []): unknown[][] {
    return this.#call({ op: 'query', sql, params }).rows;
  }

  /** Closes every connection and stops the worker. */
  end(): void {
    if (this.#ended) return;
    try {
      this.#call({ op: 'end' });
    } finally {
      this.#ended = true;
      this.#port.close();
      void this.#worker.terminate();
    }
  }

  /** Rows of one statement, batch by batch; returning early closes the server-side cursor. */
  *stream(sql: string, params: unknown[]): Generator<unknown[]> {
    let { id, rows, done } = this.open(sql, params);
    try {
      for (;;) {
        for (const row of rows) yield row;
        if (done) return;
        ({ rows, done } = this.read(id));
      }
    } finally {
      if (!done) this.close(id);
    }
  }
}
