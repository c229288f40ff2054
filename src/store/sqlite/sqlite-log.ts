import type { AppendResult, Log, LogEntry, LogRecord } from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { StoreClosedError } from "./errors.js";
import type { LogWriter } from "./log-writer.js";

export interface SqliteLogOptions {
  /**
   * Share one transaction among the appends made in the same turn of the event loop (default
   * true): under load, one WAL write (and with synchronous "full" one fsync) serves many requests.
   */
  groupCommit?: boolean;
  /** Called after each shared transaction commits, with its number of callers and entries. */
  onGroupCommit?: (callers: number, entries: number) => void;
  /**
   * Entries kept in memory per partition after their append, so the executor reads what was just
   * appended without a query and a JSON parse (default 1,024; 0 turns it off).
   */
  tailSize?: number;
}

/** The newest entries of a partition, contiguous from `first`. */
interface Tail {
  first: number;
  records: LogRecord[];
}

interface PendingAppend {
  entries: readonly LogEntry[];
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/**
 * The embedded log: a table in the SQLite file. An append's promise resolves only after its
 * transaction has committed, so an acknowledged event survives the process being killed.
 */
export class SqliteLog implements Log {
  private readonly writer: LogWriter;
  private readonly groupCommit: boolean;
  private readonly onGroupCommit: ((callers: number, entries: number) => void) | undefined;
  private readonly appendOne: (entries: readonly LogEntry[]) => (number | null)[];
  private readonly appendGroup: (group: readonly PendingAppend[]) => (number | null)[][];
  private queue: PendingAppend[] = [];
  private readonly tails = new Map<number, Tail>();
  /** Partitions whose reader fell more than a tail behind: nothing is kept until it reads the table to its end. */
  private readonly behind = new Set<number>();
  private readonly tailSize: number;
  private flushScheduled = false;

  constructor(
    private readonly connection: SqliteConnection,
    options: SqliteLogOptions = {},
  ) {
    this.writer = connection.log;
    this.groupCommit = options.groupCommit ?? true;
    this.onGroupCommit = options.onGroupCommit;
    this.tailSize = options.tailSize ?? 1024;
    const writer = this.writer;
    this.appendOne = writer.transaction((entries: readonly LogEntry[]) => writer.append(entries));
    this.appendGroup = writer.transaction((group: readonly PendingAppend[]) =>
      group.map((pending) => writer.append(pending.entries)),
    );
    connection.beforeClose(() => this.flush());
  }

  /** Appends in one transaction; concurrent calls in the same tick share it (group commit). */
  append(entries: LogEntry[]): Promise<AppendResult> {
    if (entries.length === 0) return Promise.resolve({ offsets: [] });
    return new Promise<AppendResult>((resolve, reject) => {
      if (!this.groupCommit) {
        this.appendAlone({ entries, resolve, reject });
        return;
      }
      this.queue.push({ entries, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        // setImmediate runs after the poll phase: every request read in this turn joins the group.
        setImmediate(() => this.flush());
      }
    });
  }

  async read(partition: number, after: number, max: number): Promise<LogRecord[]> {
    const writer = this.open();
    // A reader past `after` never needs those entries again from memory: drop them.
    const tail = this.dropThrough(partition, after);
    if (tail && tail.first === after + 1 && tail.records.length > 0) return tail.records.slice(0, max);
    const records = writer.read(partition, after, max);
    // The table had nothing more: the reader caught up, keep the tail again from the next append.
    if (records.length < max) this.behind.delete(partition);
    return records;
  }

  async end(partition: number): Promise<number> {
    return this.open().end(partition);
  }

  async trim(partition: number, upTo: number): Promise<void> {
    this.open().trim(partition, upTo);
    this.dropThrough(partition, upTo);
  }

  /** Drops the partition's kept entries up to and including `offset`; returns what remains. */
  private dropThrough(partition: number, offset: number): Tail | undefined {
    const tail = this.tails.get(partition);
    if (!tail) return undefined;
    const dropped = Math.min(offset + 1 - tail.first, tail.records.length);
    if (dropped > 0) {
      tail.records.splice(0, dropped);
      tail.first += dropped;
    }
    return tail;
  }

  /** Forgets deduplication ids recorded before `before` (see EVENT_ID_RETENTION_MS); returns how many. */
  async pruneEventIds(before: number): Promise<number> {
    return this.open().pruneEventIds(before);
  }

  /** Commits the appends queued for the next group now, instead of at the scheduled flush. */
  flushPending(): void {
    if (this.queue.length > 0 && this.connection.isOpen) this.flush();
  }

  private open(): LogWriter {
    if (!this.connection.isOpen) throw new StoreClosedError(this.connection.path);
    return this.writer;
  }

  /** Commits the appends queued so far in one transaction and settles their promises. */
  private flush(): void {
    this.flushScheduled = false;
    const group = this.queue;
    if (group.length === 0) return;
    this.queue = [];
    let results: (number | null)[][];
    try {
      this.open();
      results = this.appendGroup(group);
    } catch {
      // The whole group rolled back: retry each caller alone so one bad append fails only itself.
      for (const pending of group) this.appendAlone(pending);
      return;
    }
    let count = 0;
    for (let i = 0; i < group.length; i++) {
      const pending = group[i] as PendingAppend;
      count += pending.entries.length;
      this.remember(pending.entries, results[i] as (number | null)[]);
      pending.resolve({ offsets: results[i] as (number | null)[] });
    }
    this.onGroupCommit?.(group.length, count);
  }

  /**
   * Keeps committed entries for the next read. Only a contiguous run is kept: entries the store
   * appends itself (emitted events, in a commit) are not seen here, so a gap starts a new run and
   * reads before it go to the table.
   */
  private remember(entries: readonly LogEntry[], offsets: readonly (number | null)[]): void {
    if (this.tailSize <= 0) return;
    for (let i = 0; i < entries.length; i++) {
      const offset = offsets[i];
      if (offset === null || offset === undefined) continue;
      const entry = entries[i] as LogEntry;
      if (this.behind.has(entry.partition)) continue;
      const record: LogRecord = {
        project: entry.project,
        partition: entry.partition,
        input: entry.input,
        appendedAt: entry.appendedAt,
        offset,
      };
      const tail = this.tails.get(entry.partition);
      if (!tail || tail.first + tail.records.length !== offset) {
        this.tails.set(entry.partition, { first: offset, records: [record] });
      } else if (tail.records.length < this.tailSize) {
        tail.records.push(record);
      } else {
        // Full (the reader is far behind): forget the run and keep nothing for this partition
        // until its reader has caught up through the table, rather than refilling in vain.
        this.tails.delete(entry.partition);
        this.behind.add(entry.partition);
      }
    }
  }

  private appendAlone(pending: PendingAppend): void {
    try {
      this.open();
      const offsets = this.appendOne(pending.entries);
      this.remember(pending.entries, offsets);
      pending.resolve({ offsets });
    } catch (error) {
      pending.reject(error);
      return;
    }
    this.onGroupCommit?.(1, pending.entries.length);
  }
}
