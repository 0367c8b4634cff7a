/**
 * Internal: merges two statements' rows, each ordered by customer_id (SQLite BINARY order, i.e.
 * UTF-8 bytes) and about disjoint customers, into one stream in that order. Both iterators are
 * returned when the consumer stops early, so no statement stays open on the connection.
 */
const ASCII = /^[\x20-\x7e]*$/;

/** SQLite BINARY order of two ids: UTF-16 order equals it for ASCII, not for all of Unicode. */
function binaryLess(a: string, b: string): boolean {
  if (ASCII.test(a) && ASCII.test(b)) return a < b;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')) < 0;
}

export function* mergeByCustomerId<T>(
  a: Iterator<T>,
  b: Iterator<T>,
  idOf: (row: T) => string
): Generator<T> {
  try {
    let x = a.next();
    let y = b.next();
    while (!x.done && !y.done) {
      if (binaryLess(idOf(y.value), idOf(x.value))) {
        yield y.value;
        y = b.next();
      } else {
        yield x.value;
        x = a.next();
      }
    }
    for (; !x.done; x = a.next()) yield x.value;
    for (; !y.done; y = b.next()) yield y.value;
  } finally {
    a.return?.();
    b.return?.();
  }
}
