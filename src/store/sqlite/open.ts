import { SqliteConnection, type SqliteOptions } from "./connection.js";
import { SqliteLog, type SqliteLogOptions } from "./sqlite-log.js";
import { SqliteStore } from "./sqlite-store.js";

export interface SqliteStorageOptions extends SqliteOptions, SqliteLogOptions {}

/** The embedded store and log, sharing one SQLite file. */
export interface SqliteStorage {
  store: SqliteStore;
  log: SqliteLog;
  connection: SqliteConnection;
  /** Flushes pending appends and closes the file (same as `store.close()`). */
  close(): Promise<void>;
}

/** Opens (creating and migrating when needed) the SQLite file holding the store and the log. */
export function openSqlite(options: SqliteStorageOptions): SqliteStorage {
  const connection = SqliteConnection.open(options);
  try {
    const store = new SqliteStore(connection);
    const log = new SqliteLog(connection, options);
    return { store, log, connection, close: () => store.close() };
  } catch (error) {
    connection.close();
    throw error;
  }
}
