/**
 * Internal: maps customer ids to customer rowids during an import, creating missing customers
 * (events and touches may name customers the customers file did not) and refusing erased ones.
 *
 * Hot-path notes: files are usually grouped by customer, so the last id is cached; otherwise a
 * unique-index lookup. The erasure tombstones are keyed pseudonyms, so checking one costs an
 * HMAC: it is computed only when a customer would be created (an existing customer cannot be
 * erased), and not at all when nobody was ever erased.
 */
import type Database from 'better-sqlite3';
import type { NodeIdentity } from '../identity/identity.ts';
import { pseudonymFor } from '../identity/identity.ts';

export class CustomerResolver {
  private lastId: string | null = null;
  private lastRowid: number | null = null;
  private readonly find: Database.Statement;
  private readonly create: Database.Statement;
  private readonly erased: Set<string>;
  /** Rows skipped because their customer was erased. */
  skippedErased = 0;
  /** Customers created by this import. */
  created = 0;

  constructor(
    db: Database.Database,
    private readonly identity: NodeIdentity,
    private readonly importId: number
  ) {
    this.find = db.prepare('SELECT id FROM customers WHERE customer_id = ?').pluck();
    this.create = db.prepare('INSERT INTO customers (customer_id, seen_in) VALUES (?, ?)');
    this.erased = new Set(
      db.prepare('SELECT pseudonym FROM erased_customers').pluck().all() as string[]
    );
  }

  /** True when `customerId` was erased: its rows must not come back. */
  isErased(customerId: string): boolean {
    return this.erased.size > 0 && this.erased.has(pseudonymFor(this.identity, customerId));
  }

  /** The customer's rowid (created if needed), or null when the customer was erased (row skipped). */
  resolve(customerId: string): number | null {
    if (customerId === this.lastId) {
      if (this.lastRowid === null) this.skippedErased++;
      return this.lastRowid;
    }
    let rowid = this.find.get(customerId) as number | undefined | null;
    if (rowid === undefined) {
      if (this.isErased(customerId)) {
        rowid = null;
        this.skippedErased++;
      } else {
        rowid = Number(this.create.run(customerId, this.importId).lastInsertRowid);
        this.created++;
      }
    }
    this.lastId = customerId;
    this.lastRowid = rowid;
    return rowid;
  }

  /** Forget the cache (after a writer inserted customers itself). */
  reset(): void {
    this.lastId = null;
    this.lastRowid = null;
  }
}
