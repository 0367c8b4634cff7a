/**
 * Internal merge-join helpers over sources ordered by customerId (UnitSource contract). Order is
 * JavaScript string order, which equals SQLite BINARY order for ASCII ids. An out-of-order source
 * is refused rather than silently mis-joined; messages never carry an id (ids stay on the node).
 */
import { ProtocolError } from '@fedmark/protocol';

export function outOfOrder(what: string): ProtocolError {
  const why = 'the merge-join needs the UnitSource order';
  return new ProtocolError('INTERNAL', `${what} are not ordered by customerId: ${why}`);
}

/** Forward-only lookup into an ordered stream keyed by customerId; the first row of an id wins. */
export class OrderedCursor<T extends { customerId: string }> {
  readonly #it: Iterator<T>;
  readonly #what: string;
  #head: T | undefined;
  #lastKey: string | undefined;

  constructor(items: Iterable<T>, what: string) {
    this.#it = items[Symbol.iterator]();
    this.#what = what;
    this.#head = this.#pull();
  }

  #pull(): T | undefined {
    const r = this.#it.next();
    if (r.done) return undefined;
    const key = r.value.customerId;
    if (this.#lastKey !== undefined && key < this.#lastKey) throw outOfOrder(this.#what);
    this.#lastKey = key;
    return r.value;
  }

  /**
   * Ends the underlying iteration early. A SQLite-backed stream holds an open statement until it
   * is exhausted or returned, and better-sqlite3 refuses any write on that connection meanwhile
   * (the release transaction that follows a computation): always close a cursor you stop reading.
   */
  close(): void {
    this.#head = undefined;
    this.#it.return?.();
  }

  /** The item for `id`, or undefined; ids must be asked in ascending order. */
  seek(id: string): T | undefined {
    while (this.#head !== undefined && this.#head.customerId < id) this.#head = this.#pull();
    return this.#head !== undefined && this.#head.customerId === id ? this.#head : undefined;
  }
}

/** Consecutive runs of rows with the same customerId; refuses a stream that goes backwards. */
export function* groupByCustomer<T extends { customerId: string }>(
  rows: Iterable<T>,
  what: string
): Generator<T[]> {
  let group: T[] = [];
  let key: string | undefined;
  for (const row of rows) {
    if (key !== undefined && row.customerId !== key) {
      if (row.customerId < key) throw outOfOrder(what);
      yield group;
      group = [];
    }
    key = row.customerId;
    group.push(row);
  }
  if (group.length > 0) yield group;
}

/**
 * The first `limit` items by `time`, ties broken by position: the contribution bound keeps each
 * customer's earliest rows. Sorting is skipped when the rows already come in time order.
 */
export function earliest<T extends { time: number }>(items: T[], limit: number): T[] {
  let sorted = true;
  for (let i = 1; i < items.length && sorted; i++)
    sorted = (items[i - 1] as T).time <= (items[i] as T).time;
  const ordered = sorted
    ? items
    : items
        .map((it, i) => ({ it, i }))
        .sort((a, b) => a.it.time - b.it.time || a.i - b.i)
        .map((e) => e.it);
  return ordered.length > limit ? ordered.slice(0, limit) : ordered;
}
