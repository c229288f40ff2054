import type { Input } from "../../core/input.js";
import type { LogEntry, LogRecord } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { InvalidLogEntryError } from "./errors.js";
import { LogPositions } from "./log-positions.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "claimEventId",
  "reserveOffsets",
  "insertEntry",
  "entriesAt",
  "positionsAfter",
  "allPositions",
  "bounds",
  "bound",
  "setStart",
  "deleteBefore",
  "pruneEventIds",
] as const;

/** A row of `entriesAt`, as an array (no object with named keys built per row). */
type EntryRow = [partition: number, offset: number, project: string, inputJson: string, appendedAt: number];

/** Rows deleted by one trim call at most (~4 ms). */
const DELETE_CHUNK = 8_192;

interface Bounds {
  partition: number;
  log_end: number;
  log_start: number;
}

/** The id that deduplicates an input: every input kind except timers carries one. */
export function inputId(input: Input): string | undefined {
  return "id" in input && typeof input.id === "string" ? input.id : undefined;
}

/**
 * Reads and writes the `log` table. `append` runs inside the caller's transaction, so the log
 * (group commit) and the store (emitted events in a commit) share one implementation; both run
 * their transactions through `transaction()`, which records where the appended rows sit once the
 * transaction has committed.
 */
export class LogWriter {
  private readonly sql: Statements<typeof STATEMENTS>;
  private readonly positions = new LogPositions();
  /** (partition, offset, seq) of rows appended by the transaction in progress, flat. */
  private readonly staged: number[] = [];
  /** Rows before this one are deleted. */
  private deletedBelow = 1;

  constructor(private readonly db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "log.sql", STATEMENTS);
    this.sql.entriesAt.raw(true); // rows as arrays (EntryRow)
    this.load();
  }

  /**
   * Wraps `fn` in a transaction (nested calls become savepoints) and records the positions of the
   * rows `append` wrote once the outermost transaction has committed; a rollback forgets them.
   */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R {
    const run = this.db.transaction(fn);
    return (...args: A): R => {
      const mark = this.staged.length;
      const outermost = !this.db.inTransaction;
      try {
        const result = run(...args);
        if (outermost) this.publish();
        return result;
      } catch (error) {
        this.staged.length = mark;
        throw error;
      }
    };
  }

  /** Appends inside the current transaction; returns each entry's offset, or null for a duplicate. */
  append(entries: readonly LogEntry[]): (number | null)[] {
    if (!this.db.inTransaction) throw new Error("LogWriter.append runs inside LogWriter.transaction()");
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
      const { lastInsertRowid } = this.sql.insertEntry.run(
        entry.partition,
        offset,
        entry.project,
        inputId(entry.input) ?? null,
        JSON.stringify(entry.input),
        entry.appendedAt,
      );
      this.staged.push(entry.partition, offset, Number(lastInsertRowid));
    }
    return offsets;
  }

  /** Entries of a partition after an offset, in order. */
  read(partition: number, after: number, max: number): LogRecord[] {
    let seqs = this.positions.seqsAfter(partition, after, max);
    if (seqs.length < max && this.end(partition) >= (this.positions.nextOffset(partition) ?? 1)) {
      // Rows this connection did not append (another process's): find them in the table.
      this.catchUp(partition);
      seqs = this.positions.seqsAfter(partition, after, max);
    }
    if (seqs.length === 0) return [];
    let rows = this.rowsAt(seqs);
    if (!holdsRun(rows, partition, seqs.length)) {
      // The table disagrees (rows deleted or rewritten by another connection): find them again.
      this.positions.forget(partition);
      this.catchUp(partition);
      rows = this.rowsAt(this.positions.seqsAfter(partition, after, max));
    }
    const records = new Array<LogRecord>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      const [, offset, project, inputJson, appendedAt] = rows[i] as EntryRow;
      records[i] = { project, partition, input: JSON.parse(inputJson) as Input, appendedAt, offset };
    }
    return records;
  }

  /** The partition's last offset, which a trim never moves back. */
  end(partition: number): number {
    return this.bound(partition).log_end;
  }

  /**
   * Drops the partition's entries up to `upTo`. The partition's trim point is recorded; rows are
   * deleted from the front of the table up to the oldest entry some partition still holds, at
   * most DELETE_CHUNK a call so that no call holds the thread long (the next calls go on).
   */
  trim(partition: number, upTo: number): void {
    try {
      this.db.transaction(() => {
        this.sql.setStart.run(upTo, partition);
        this.positions.drop(partition, upTo);
      })();
    } catch (error) {
      // Rolled back: what was dropped from memory is live again.
      this.positions.forget(partition);
      this.catchUp(partition);
      throw error;
    }
    this.deleteTrimmed();
  }

  /** Forgets event ids recorded before `before`; returns how many. */
  pruneEventIds(before: number): number {
    return this.sql.pruneEventIds.run(before).changes;
  }

  /**
   * Deletes rows no partition needs any more, from the front of the table. The newest row is
   * kept even when trimmed: SQLite numbers a row one past the largest in the table, so an empty
   * table would start `seq` over and rows would no longer be in append order.
   */
  private deleteTrimmed(): void {
    if (this.deletableBelow() <= this.deletedBelow) return;
    // Rows another connection appended must be known before deciding that nobody needs them.
    for (const bound of this.sql.bounds.all() as Bounds[]) {
      if (bound.log_end >= (this.positions.nextOffset(bound.partition) ?? bound.log_start + 1)) {
        this.catchUp(bound.partition);
      }
    }
    const until = Math.min(this.deletableBelow(), this.deletedBelow + DELETE_CHUNK);
    if (until <= this.deletedBelow) return;
    this.sql.deleteBefore.run(until);
    this.deletedBelow = until;
  }

  /** The first row that must stay: the oldest some partition still needs, else the newest. */
  private deletableBelow(): number {
    return this.positions.lowestLiveSeq() ?? this.positions.highestSeq();
  }

  private publish(): void {
    const staged = this.staged;
    for (let i = 0; i < staged.length; i += 3) {
      const partition = staged[i] as number;
      if (!this.positions.add(partition, staged[i + 1] as number, staged[i + 2] as number)) {
        this.catchUp(partition);
      }
    }
    staged.length = 0;
  }

  /** Reads where every live entry sits (at open: the table holds the untrimmed entries only). */
  private load(): void {
    const starts = new Map<number, number>();
    for (const bound of this.sql.bounds.all() as Bounds[]) starts.set(bound.partition, bound.log_start);
    const rows = this.sql.allPositions.raw(true).iterate() as IterableIterator<[number, number, number]>;
    let first: number | undefined;
    for (const [seq, partition, offset] of rows) {
      first ??= seq;
      if (offset > (starts.get(partition) ?? 0)) this.positions.add(partition, offset, seq);
    }
    this.deletedBelow = first ?? 1;
  }

  /** Adds the partition's rows appended after the newest one known (by another connection). */
  private catchUp(partition: number): void {
    const start = this.bound(partition).log_start;
    this.positions.startAfter(partition, start);
    const rows = this.sql.positionsAfter.all(this.positions.lastSeq(partition), partition) as {
      seq: number;
      offset: number;
    }[];
    for (const row of rows) {
      if (row.offset > start) this.positions.add(partition, row.offset, row.seq);
    }
  }

  /** The partition's last offset and trim point (0 and 0 before its first append). */
  private bound(partition: number): { log_end: number; log_start: number } {
    return (
      (this.sql.bound.get(partition) as { log_end: number; log_start: number } | undefined) ?? {
        log_end: 0,
        log_start: 0,
      }
    );
  }

  private rowsAt(seqs: readonly number[]): EntryRow[] {
    return seqs.length === 0 ? [] : (this.sql.entriesAt.all(JSON.stringify(seqs)) as EntryRow[]);
  }
}

/** Whether `rows` are `count` entries of `partition` at consecutive offsets. */
function holdsRun(rows: readonly EntryRow[], partition: number, count: number): boolean {
  if (rows.length !== count) return false;
  const first = (rows[0] as EntryRow)[1];
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i] as EntryRow;
    if (row[0] !== partition || row[1] !== first + i) return false;
  }
  return true;
}
