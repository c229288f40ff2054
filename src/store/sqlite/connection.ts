import { BackgroundCheckpointer, DEFAULT_RESTART_PAGES } from "./checkpointer.js";
import { openDriver, type SqliteDatabase } from "./driver.js";
import { LogWriter } from "./log-writer.js";
import { migrate } from "./migrations.js";
import { parseSqlSections, readSqlFile } from "./sql-files.js";

/**
 * Reads that walk a whole table or a large part of one, run on the checkpoint worker's
 * connection when there is one (off the engine's thread), by statement file.
 */
const OFF_THREAD_FILES = {
  "timers.sql": ["countTimers", "timersOfUser"],
  "users.sql": ["instancesOfJourney"],
} as const;
export type OffThreadRead = (typeof OFF_THREAD_FILES)[keyof typeof OFF_THREAD_FILES][number];

function offThreadReads(): Record<OffThreadRead, string> {
  const reads = {} as Record<OffThreadRead, string>;
  for (const [file, names] of Object.entries(OFF_THREAD_FILES)) {
    const sections = parseSqlSections(file, readSqlFile(file));
    for (const name of names as readonly OffThreadRead[]) reads[name] = sections.get(name) as string;
  }
  return reads;
}

/**
 * How much a commit promises (docs/storage.md). With WAL, "normal" writes each commit to the WAL
 * file before returning but syncs it to the disk only at checkpoints: a committed transaction
 * survives the process dying (kill -9, OOM, crash), which is what a 2xx promises, but the last
 * commits may be lost on power loss or a kernel crash (the file stays consistent). "full" also
 * fsyncs the WAL on every commit, surviving power loss at the cost of one fsync per transaction;
 * group commit keeps that to one fsync per group of concurrent appends.
 */
export type Synchronous = "normal" | "full";

export interface SqliteOptions {
  /** Database file; created with its schema when missing. */
  path: string;
  /** Default "normal": durable against process crash, not against power loss. */
  synchronous?: Synchronous;
  /** Page cache in KiB (default 65,536: 64 MiB). */
  cacheKiB?: number;
  /** Page size in bytes for a new file (SQLite default 4096); an existing file keeps its own. */
  pageSize?: number;
  /**
   * Copy the WAL into the database from a worker thread instead of inside the commits that cross
   * SQLite's checkpoint threshold (default false; `journeys serve` turns it on). Falls back to
   * SQLite's own checkpoints if the worker fails.
   */
  backgroundCheckpoint?: boolean;
  /** WAL pages from which the background checkpoint starts the WAL over (default 65,536: 256 MiB). */
  checkpointRestartPages?: number;
  /** Told when the background checkpoint fails (the connection then checkpoints itself). */
  onCheckpointFailure?: (error: Error) => void;
  /** Time for rows the store stamps itself (emitted events' ingest time). Default: the system clock. */
  clock?: { now(): number };
  /**
   * Grows a smaller file to this many bytes at open, the added pages free (SQLite's freelist),
   * for the database to fill before it extends the file (default 0: none; `journeys serve
   * --reserve-mib`). From 1 GiB up it also spares every commit a scan of SQLite's whole page
   * cache: on a file under 1 GiB, a commit that rebalanced a b-tree ends with one (`reserve`).
   */
  reserveBytes?: number;
}

/**
 * One open SQLite file shared by the store and the log: a commit appends emitted events to the
 * log in the same transaction, so both must live in the same file and connection.
 */
export class SqliteConnection {
  readonly path: string;
  readonly synchronous: Synchronous;
  readonly clock: { now(): number };
  readonly db: SqliteDatabase;
  readonly log: LogWriter;
  private readonly closeHooks: (() => void)[] = [];
  private readonly checkpointer: BackgroundCheckpointer | undefined;
  private closed = false;

  private constructor(options: SqliteOptions) {
    this.path = options.path;
    this.synchronous = options.synchronous ?? "normal";
    this.clock = options.clock ?? { now: () => Date.now() };
    this.db = openDriver(options.path);
    try {
      if (options.pageSize) this.db.pragma(`page_size = ${Math.floor(options.pageSize)}`);
      this.db.pragma("journal_mode = WAL");
      this.db.pragma(`synchronous = ${this.synchronous === "full" ? "FULL" : "NORMAL"}`);
      this.db.pragma("busy_timeout = 5000");
      this.db.pragma(`cache_size = -${Math.max(1024, Math.floor(options.cacheKiB ?? 65_536))}`);
      this.db.pragma("temp_store = MEMORY");
      // Checkpoints reset the WAL; this truncates what is left of a large one afterwards.
      this.db.pragma(`journal_size_limit = ${64 * 1024 * 1024}`);
      migrate(this.db, this.path);
      if (options.reserveBytes && options.path !== ":memory:") reserve(this.db, options.reserveBytes);
      this.log = new LogWriter(this.db);
      if (options.backgroundCheckpoint && options.path !== ":memory:") {
        this.db.pragma("wal_autocheckpoint = 0");
        const restartPages = options.checkpointRestartPages ?? DEFAULT_RESTART_PAGES;
        // The WAL is started over at restartPages: keep the file that size rather than truncating
        // it at each restart and growing it again.
        const pageSize = this.db.pragma("page_size", { simple: true }) as number;
        this.db.pragma(
          `journal_size_limit = ${Math.max(64 * 1024 * 1024, (restartPages + 1024) * pageSize)}`,
        );
        this.checkpointer = new BackgroundCheckpointer({
          path: options.path,
          writer: this.db,
          restartPages,
          reads: offThreadReads(),
          onFailure: (error) => {
            if (this.closed) return;
            this.db.pragma("wal_autocheckpoint = 1000");
            options.onCheckpointFailure?.(error);
          },
        });
      }
    } catch (error) {
      this.db.close();
      throw error;
    }
  }

  /** Opens the file, sets the pragmas and runs pending migrations. */
  static open(options: SqliteOptions): SqliteConnection {
    return new SqliteConnection(options);
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** WAL restarts by the background checkpoint (undefined without one). */
  checkpointRestarts(): { count: number; totalMs: number; maxMs: number } | undefined {
    return this.checkpointer ? { ...this.checkpointer.restarts } : undefined;
  }

  /**
   * Runs a read that walks a whole table on the background worker's connection when there is one
   * (it must not block the engine's thread), else `direct()` on this connection.
   */
  async readOffThread<Row>(
    name: OffThreadRead,
    params: readonly (string | number)[],
    direct: () => Row[],
  ): Promise<Row[]> {
    if (this.checkpointer?.available) {
      try {
        return await this.checkpointer.read<Row>(name, params);
      } catch {
        // The worker failed or closed meanwhile: read here.
      }
    }
    return direct();
  }

  /** Registers work to finish before the file closes (the log flushes its pending appends). */
  beforeClose(hook: () => void): void {
    this.closeHooks.push(hook);
  }

  /** Runs pending migrations; a no-op when the schema is current. */
  migrate(): void {
    migrate(this.db, this.path);
  }

  /** Finishes pending work and closes the file; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    for (const hook of this.closeHooks) hook();
    this.closed = true;
    this.checkpointer?.close();
    try {
      // Refreshes planner statistics where they went stale; cheap when nothing changed.
      this.db.pragma("optimize");
    } finally {
      this.db.close();
    }
  }
}

/**
 * Grows the file to `bytes` of pages, all added pages free: blobs written then dropped, so their
 * pages go to SQLite's freelist and the file's page count stays. Why 1 GiB matters: when
 * `balance_nonroot` puts new sibling pages in ascending order it rekeys one through the number of
 * the lock-byte page (the page at 1 GiB), the page cache keeps that as its largest key, and the
 * transaction's end truncates the cache to the file's size by scanning every hash bucket whenever
 * that key lies past the file's end: ~220 µs a commit with a 64 MiB cache (docs/benchmarks.md,
 * "What limits"). Past 1 GiB of pages, the key is inside the file and nothing is scanned.
 */
function reserve(db: SqliteDatabase, bytes: number): void {
  const pageSize = db.pragma("page_size", { simple: true }) as number;
  const target = Math.ceil(bytes / pageSize);
  const pages = () => db.pragma("page_count", { simple: true }) as number;
  // A reservation cut short by a crash left its table: drop it (its pages become free too).
  db.exec("DROP TABLE IF EXISTS journeys_reserve");
  if (pages() >= target) return;
  db.exec("CREATE TABLE journeys_reserve (b BLOB)");
  const insert = db.prepare("INSERT INTO journeys_reserve VALUES (zeroblob(?))");
  // 4 MiB a transaction (up to 4 MiB past the target), so that SQLite's own checkpoints keep the
  // WAL small meanwhile; each blob overflows into new pages, so the loop always ends.
  while (pages() < target) insert.run(4 << 20);
  db.exec("DROP TABLE journeys_reserve");
  db.pragma("wal_checkpoint(TRUNCATE)");
}
