/** Errors of the SQLite store, each with a stable `code`. */

/** A commit carried a fencing epoch older than the partition's: a newer owner has taken over. */
export class FencedError extends Error {
  readonly code = "FENCED";

  constructor(
    readonly partition: number,
    readonly epoch: number,
    readonly currentEpoch: number,
  ) {
    super(`partition ${partition} is fenced: commit epoch ${epoch} < current epoch ${currentEpoch}`);
    this.name = "FencedError";
  }
}

/** The database file was written by a newer version of Journeys than this one. */
export class SchemaTooNewError extends Error {
  readonly code = "SCHEMA_TOO_NEW";

  constructor(
    readonly path: string,
    readonly version: number,
    readonly supported: number,
  ) {
    super(`${path} has schema version ${version}; this build supports up to ${supported}`);
    this.name = "SchemaTooNewError";
  }
}

/** A .sql file is missing, malformed, or lacks a statement the code asks for. */
export class SqlFileError extends Error {
  readonly code = "SQL_FILE";

  constructor(
    readonly file: string,
    message: string,
  ) {
    super(`${file}: ${message}`);
    this.name = "SqlFileError";
  }
}

/** An entry that cannot be appended (a partition that is not a non-negative integer). */
export class InvalidLogEntryError extends Error {
  readonly code = "INVALID_LOG_ENTRY";

  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`log entry ${index}: ${message}`);
    this.name = "InvalidLogEntryError";
  }
}

/** The store or log was used after `close()`. */
export class StoreClosedError extends Error {
  readonly code = "CLOSED";

  constructor(readonly path: string) {
    super(`the SQLite store ${path} is closed`);
    this.name = "StoreClosedError";
  }
}
