/**
 * CSV import (formats in docs/node-data.md): streamed, zod-validated per row, one transaction,
 * idempotent, recorded in the ledger.
 *
 * @example
 * const report = await importCsv(db, identity, { kind: 'events', file: 'events.csv' });
 * // { kind: 'events', rowsRead: 1200, rowsInserted: 1200, rowsChanged: 0, rowsUnchanged: 0, ... }
 * await importCsv(db, identity, {
 *   kind: 'customers', file: 'customers.csv',
 *   lawfulBasis: [{ purpose: 'analytics', basis: 'legitimate_interest' }],
 * });
 */
export {
  importCsv,
  LAWFUL_BASES,
  type ImportCsvOptions,
  type ImportReport,
  type LawfulBasis,
} from './import-csv.ts';
/** A rejected import: message and fields name file, line, column, value and reason. */
export { ImportError } from './import-error.ts';
export {
  IMPORT_ENCODINGS,
  IMPORT_KINDS,
  TOUCH_OUTCOMES,
  type ImportEncoding,
  type ImportKind,
} from './formats.ts';
export { DEFAULT_CONSENT_SOURCE } from './consents-writer.ts';
