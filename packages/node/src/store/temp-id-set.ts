/**
 * A connection's temp table of customer rowids (`temp.<name>`, one INTEGER PRIMARY KEY column
 * `customer`), filled in bulk: ids are buffered and written FLUSH_AT at a time through one
 * json_each statement instead of one INSERT each. An import marks every customer it touches
 * (for the aggregate refresh and the lawful basis), a million customers at 10M events, where one
 * statement per customer was about 4% of the import's CPU (docs/scale.md).
 */
import type Database from 'better-sqlite3';

const FLUSH_AT = 65_536;

export class TempIdSet {
  private readonly insert: Database.Statement;
  private pending: number[] = [];
  private last = -1;
  /** Ids added, consecutive repeats not counted (so 0 means none). */
  added = 0;

  /** Creates the table if needed and empties it. `name` is a fixed identifier, never input. */
  constructor(
    private readonly db: Database.Database,
    readonly name: string
  ) {
    db.exec(
      `CREATE TEMP TABLE IF NOT EXISTS ${name} (customer INTEGER PRIMARY KEY); DELETE FROM temp.${name};`
    );
    this.insert = db.prepare(
      `INSERT OR IGNORE INTO temp.${name} (customer) SELECT value FROM json_each(?)`
    );
  }

  /** Rows of one customer usually arrive together: consecutive repeats cost nothing. */
  add(customer: number): void {
    if (customer === this.last) return;
    this.last = customer;
    this.added++;
    this.pending.push(customer);
    if (this.pending.length >= FLUSH_AT) this.write();
  }

  /** Writes the buffered ids: call before reading the table. */
  write(): void {
    if (this.pending.length === 0) return;
    this.insert.run(JSON.stringify(this.pending));
    this.pending = [];
  }

  /** Empties the table and the buffer. */
  clear(): void {
    this.pending = [];
    this.last = -1;
    this.added = 0;
    this.db.exec(`DELETE FROM temp.${this.name}`);
  }
}
