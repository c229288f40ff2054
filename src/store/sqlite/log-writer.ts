import type { Input } from "../../core/input.js";
import type { LogEntry, LogRecord } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { InvalidLogEntryError } from "./errors.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "claimEventId",
  "reserveOffsets",
  "insertEntry",
  "readEntries",
  "end",
  "trim",
  "pruneEventIds",
] as const;

interface EntryRow {
  offset: number;
  project: string;
  input_json: string;
  appended_at: number;
}

/** The id that deduplicates an input: every input kind except timers carries one. */
export function inputId(input: Input): string | undefined {
  return "id" in input && typeof input.id === "string" ? input.id : undefined;
}

/**
 * Reads and writes the `log` table. `append` runs inside the caller's transaction, so the log
 * (group commit) and the store (emitted events in a commit) share one implementation.
 */
export class LogWriter {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "log.sql", STATEMENTS);
  }

  /** Appends inside the current transaction; returns each entry's offset, or null for a duplicate. */
  append(entries: readonly LogEntry[]): (number | null)[] {
    const offsets = new Array<number | null>(entries.length);
    // First pass: drop duplicates and count survivors per partition.
    const counts = new Map<number, number>();
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as LogEntry;
      const partition = entry.partition;
      if (!Number.isSafeInteger(partition) || partition < 0) {
        throw new InvalidLogEntryError(i, `partition must be a non-negative integer, got ${partition}`);
      }
      const id = entry.dedupe === false ? undefined : inputId(entry.input);
      if (id !== undefined && this.sql.claimEventId.run(entry.project, id, entry.appendedAt).changes === 0) {
        offsets[i] = null;
        continue;
      }
      offsets[i] = 0;
      counts.set(partition, (counts.get(partition) ?? 0) + 1);
    }
    // One statement per partition reserves a contiguous range of offsets.
    const next = new Map<number, number>();
    for (const [partition, count] of counts) {
      const row = this.sql.reserveOffsets.get(partition, count) as { log_end: number };
      next.set(partition, row.log_end - count + 1);
    }
    for (let i = 0; i < entries.length; i++) {
      if (offsets[i] === null) continue;
      const entry = entries[i] as LogEntry;
      const offset = next.get(entry.partition) as number;
      next.set(entry.partition, offset + 1);
      offsets[i] = offset;
      this.sql.insertEntry.run(
        entry.partition,
        offset,
        entry.project,
        inputId(entry.input) ?? null,
        JSON.stringify(entry.input),
        entry.appendedAt,
      );
    }
    return offsets;
  }

  /** Entries of a partition after an offset, in order. */
  read(partition: number, after: number, max: number): LogRecord[] {
    const rows = this.sql.readEntries.all(partition, after, max) as EntryRow[];
    const records = new Array<LogRecord>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i] as EntryRow;
      records[i] = {
        project: row.project,
        partition,
        input: JSON.parse(row.input_json) as Input,
        appendedAt: row.appended_at,
        offset: row.offset,
      };
    }
    return records;
  }

  /** The partition's last offset, which a trim never moves back. */
  end(partition: number): number {
    const row = this.sql.end.get(partition) as { log_end: number } | undefined;
    return row?.log_end ?? 0;
  }

  trim(partition: number, upTo: number): void {
    this.sql.trim.run(partition, upTo);
  }

  /** Forgets event ids recorded before `before`; returns how many. */
  pruneEventIds(before: number): number {
    return this.sql.pruneEventIds.run(before).changes;
  }
}
