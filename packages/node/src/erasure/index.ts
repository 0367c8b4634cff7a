/**
 * Right to erasure: removes every raw row about a customer and makes the bytes unrecoverable
 * from node.db and its WAL; leaves only a pseudonymous tombstone and ledger entry.
 *
 * @example
 * eraseCustomer(db, identity, 'C-1001', { reason: 'gdpr_art17_request' });
 * // { pseudonym: '9f2c…', rowsDeleted: 42 }
 * await eraseCustomersFromFile(db, identity, 'erasures.csv'); // CSV with a customer_id column
 */
export {
  eraseCustomer,
  eraseCustomersFromFile,
  scrubWal,
  type EraseOptions,
  type EraseResult,
  type EraseBatchResult,
} from './erase.ts';
