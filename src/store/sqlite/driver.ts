import BetterSqlite3 from "better-sqlite3";

/**
 * The slice of better-sqlite3 this store uses, declared here (as Kysely does) so the rest of the
 * folder depends on a few small interfaces rather than on the whole driver.
 */

/** A value SQLite can bind: we only ever bind text, numbers and NULL. */
export type SqlValue = string | number | null;

export interface SqliteRunResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface SqliteStatement {
  run(...params: SqlValue[]): SqliteRunResult;
  get(...params: SqlValue[]): unknown;
  all(...params: SqlValue[]): unknown[];
  iterate(...params: SqlValue[]): IterableIterator<unknown>;
  /** Rows as arrays of column values instead of objects. */
  raw(toggle?: boolean): SqliteStatement;
}

export interface SqliteDatabase {
  readonly inTransaction: boolean;
  readonly open: boolean;
  prepare(sql: string): SqliteStatement;
  exec(sql: string): unknown;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  /** Wraps `fn` in BEGIN/COMMIT (ROLLBACK when it throws); nested calls become savepoints. */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): unknown;
}

/** Opens (creating when missing) a database file with better-sqlite3. */
export function openDriver(path: string): SqliteDatabase {
  const db = new BetterSqlite3(path);
  return {
    get inTransaction() {
      return db.inTransaction;
    },
    get open() {
      return db.open;
    },
    prepare: (sql) => db.prepare<SqlValue[]>(sql),
    exec: (sql) => db.exec(sql),
    pragma: (source, options) => db.pragma(source, options),
    transaction: (fn) => db.transaction(fn),
    close: () => db.close(),
  };
}
