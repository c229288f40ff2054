export { EVENT_ID_RETENTION_MS } from "../types.js";
export { SqliteConnection, type SqliteOptions, type Synchronous } from "./connection.js";
export {
  FencedError,
  InvalidLogEntryError,
  SchemaTooNewError,
  SqlFileError,
  StoreClosedError,
} from "./errors.js";
export { openSqlite, type SqliteStorage, type SqliteStorageOptions } from "./open.js";
export { SqliteLog, type SqliteLogOptions } from "./sqlite-log.js";
export { DEFAULT_LEASE_MS, SqliteStore } from "./sqlite-store.js";
