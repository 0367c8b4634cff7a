import { sha256Hex } from '@fedmark/protocol';
import type { Ctx } from '../context.ts';
import { tasksFor } from './tasks.ts';

/** One node's tasks answer: the exact response bytes and their tag. */
export interface TaskAnswer {
  body: string;
  /** `"<first 32 hex digits of SHA-256(body)>"` (TasksEtagSchema). */
  etag: string;
}

interface Entry {
  version: string;
  /** ctx.now() from which a deadline may have dropped a task although nothing was written. */
  validUntil: number;
  answer: TaskAnswer;
}

interface Waiter {
  node: string;
  etag: string;
  until: number;
  done: (answer: TaskAnswer) => void;
}

/** How often held polls look for a change (two SQLite reads per look while nothing changed). */
export const FEED_TICK_MS = 25;

export interface TaskFeedOptions {
  /** The task derivation (default nodes/tasks.ts `tasksFor`); tests count its calls. */
  compute?: (ctx: Ctx, node: string) => unknown[];
  tickMs?: number;
}

/**
 * Task answers served from memory while nothing they derive from changed (docs/coordinator.md
 * "Caches"), and polls held until a node's answer changes (docs/federation-protocol.md
 * "Polling"). An answer is computed by `tasksFor` exactly as an uncached poll would be and kept
 * with the store version it was computed at and the next round or overlap deadline (tasks also
 * depend on the clock); any write (this process or another: store/version.ts) or that deadline
 * drops it. Nothing is cached while a transaction is open, nor when the derivation itself wrote.
 */
export class TaskFeed {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private readonly compute: (ctx: Ctx, node: string) => unknown[];
  private readonly tickMs: number;

  constructor(
    private readonly ctx: Ctx,
    opts: TaskFeedOptions = {}
  ) {
    this.compute = opts.compute ?? tasksFor;
    this.tickMs = opts.tickMs ?? FEED_TICK_MS;
  }

  /** The node's current answer, from memory when still valid. */
  answer(node: string): TaskAnswer {
    const state = this.ctx.store.state;
    const cacheable = state.cacheable();
    const version = state.version();
    const now = this.ctx.now();
    const hit = this.entries.get(node);
    if (cacheable && hit && hit.version === version && now < hit.validUntil) return hit.answer;
    const body = JSON.stringify({ version: 1, tasks: this.compute(this.ctx, node) });
    const answer = { body, etag: `"${sha256Hex(body).slice(0, 32)}"` };
    // A derivation that wrote (an overlap job settled at its deadline) is not cached: the
    // next poll derives again from the state it left.
    if (cacheable && state.version() === version)
      this.entries.set(node, { version, validUntil: this.validUntil(now), answer });
    else this.entries.delete(node);
    return answer;
  }

  /**
   * The node's answer once it differs from `etag`, or after `waitMs`, or when `signal` aborts
   * (the node went away), whichever comes first.
   */
  changed(node: string, etag: string, waitMs: number, signal?: AbortSignal): Promise<TaskAnswer> {
    const first = this.answer(node);
    if (first.etag !== etag || waitMs <= 0 || signal?.aborted) return Promise.resolve(first);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        node,
        etag,
        until: Date.now() + waitMs,
        done: (a) => {
          this.waiters.delete(waiter);
          signal?.removeEventListener('abort', onAbort);
          resolve(a);
        },
      };
      const onAbort = () => waiter.done(first);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.add(waiter);
      this.arm();
    });
  }

  /** Held polls (for tests and metrics). */
  get holding(): number {
    return this.waiters.size;
  }

  /** Releases every held poll with its current answer and stops the timer. */
  close(): void {
    for (const w of [...this.waiters]) w.done(this.answer(w.node));
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private validUntil(now: number): number {
    let until = this.ctx.store.jobs.nextRoundDeadline(now) ?? Number.POSITIVE_INFINITY;
    for (const j of this.ctx.store.overlaps.runningJobs())
      if (j.deadlineAt > now) until = Math.min(until, j.deadlineAt);
    return until;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.look(), this.tickMs);
    // Held polls keep their sockets open; the timer alone must not keep a stopping process up.
    this.timer.unref();
  }

  private look(): void {
    const now = Date.now();
    for (const w of [...this.waiters]) {
      let answer: TaskAnswer;
      try {
        answer = this.answer(w.node);
      } catch (err) {
        // The poll is answered from its last state; the next one derives again (and reports).
        this.ctx.log(
          `task poll of ${w.node}: ${err instanceof Error ? err.message : String(err)}`,
          'error'
        );
        w.done({ body: '', etag: w.etag });
        continue;
      }
      if (answer.etag !== w.etag || now >= w.until) w.done(answer);
    }
    if (this.waiters.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
