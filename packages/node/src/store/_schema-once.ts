import type Database from 'better-sqlite3';

/**
 * Internal: a function that creates `sql`'s tables (CREATE ... IF NOT EXISTS) in a database the
 * first time it is called for that connection, and does nothing afterwards. Tables that belong to
 * one feature are made where that feature first writes, not in the numbered migrations, so a node
 * that never uses the feature never gets them; remembering the connection keeps the DDL off hot
 * paths.
 */
export function schemaOnce(sql: string): (db: Database.Database) => void {
  const ready = new WeakSet<Database.Database>();
  return (db) => {
    if (ready.has(db)) return;
    db.exec(sql);
    ready.add(db);
  };
}
