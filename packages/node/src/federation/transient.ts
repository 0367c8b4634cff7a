/**
 * Local failures that time fixes: SQLite busy or locked while another process (`fedmark node
 * import`, a backup) holds the write lock past busy_timeout, I/O errors of a disk that comes back,
 * descriptor or space exhaustion. The agent defers a task that fails with one of them to its next
 * poll instead of giving the round up (docs/federation-node.md); the release path is idempotent
 * per job and round, so a retry is never charged twice.
 */
const SQLITE_TRANSIENT = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|PROTOCOL)(_|$)/;
const ERRNO_TRANSIENT = new Set([
  'EAGAIN',
  'EBUSY',
  'EIO',
  'EMFILE',
  'ENFILE',
  'ENOSPC',
  'ETIMEDOUT',
]);

export function isTransientLocalError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return SQLITE_TRANSIENT.test(code) || ERRNO_TRANSIENT.has(code);
}
