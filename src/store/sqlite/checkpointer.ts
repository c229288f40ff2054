import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";
import type { SqliteDatabase } from "./driver.js";

/**
 * Copies the WAL back into the database file from a worker thread, so the writer's commits never
 * pay for it. SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold:
 * under load that was 15-20% of the engine's thread. A PASSIVE checkpoint on a second connection
 * waits for nobody and blocks nobody. A busy writer keeps adding frames, though, and SQLite only
 * starts the WAL over when a write begins with every frame copied: so once the WAL is large the
 * worker copies again at once until only a few frames are left, and hands over to the writer's
 * own connection, which copies those between two of its transactions (its next write then starts
 * the WAL over). The writer never waits on a lock the worker holds: a RESTART checkpoint here
 * held writers back while it copied, and SQLite's busy handler made them sleep 1, 2, 5, 10, 15,
 * 20, 25 ms in turn (a 79 ms wait for a restart of a few ms was common).
 *
 * The worker is plain JavaScript (evaluated, not a module file) so it runs the same under tsx
 * and from the compiled `dist/`.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma("busy_timeout = 0");
let timer;
let closed = false;
// Handed over to the writer's connection: wait for it before copying again.
let handedOver = false;
let passes = 0;
function checkpoint() {
  const [result] = db.pragma("wal_checkpoint(PASSIVE)");
  return result || { busy: 0, log: 0, checkpointed: 0 };
}
function run() {
  if (closed || handedOver) return;
  let again = false;
  try {
    const result = checkpoint();
    const left = result.log - result.checkpointed;
    if (result.log >= workerData.restartPages) {
      // Each pass copies what the writer added during the last one: a few passes leave little.
      if (left > workerData.finishPages && ++passes < workerData.maxPasses) {
        again = true;
      } else {
        passes = 0;
        handedOver = true;
        parentPort.postMessage({ finish: true });
        return;
      }
    } else {
      // Still far behind the writer: go again at once rather than after the interval.
      again = left > workerData.backlogPages;
    }
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
  timer = setTimeout(run, again ? 0 : workerData.intervalMs);
}
// Reads that walk a whole table or index (10M pending timers: about a second) run here, off the
// engine's thread, on a committed snapshot. The parent names them and sends their SQL at start.
const reads = new Map();
parentPort.on("message", (message) => {
  if (message && typeof message === "object" && typeof message.read === "string") {
    try {
      let statement = reads.get(message.read);
      if (!statement) {
        statement = db.prepare(workerData.reads[message.read]);
        reads.set(message.read, statement);
      }
      parentPort.postMessage({ id: message.id, rows: statement.all(...message.params) });
    } catch (error) {
      parentPort.postMessage({ id: message.id, readError: String(error && error.message ? error.message : error) });
    }
    return;
  }
  if (message === "finished") {
    handedOver = false;
    timer = setTimeout(run, workerData.intervalMs);
    return;
  }
  if (message !== "close") return;
  closed = true;
  clearTimeout(timer);
  db.close();
  // The parent waits for this before closing its own connection (see close()).
  const closedFlag = new Int32Array(workerData.closed);
  Atomics.store(closedFlag, 0, 1);
  Atomics.notify(closedFlag, 0);
  process.exit(0);
});
run();
`;

interface WorkerMessage {
  error?: string;
  finish?: boolean;
  id?: number;
  rows?: unknown[];
  readError?: string;
}

export interface CheckpointerOptions {
  path: string;
  /** The writer's connection: it copies the WAL's last frames itself, so its next write starts the WAL over. */
  writer: SqliteDatabase;
  /** Pause between checkpoints when the WAL is nearly copied (default 50 ms). */
  intervalMs?: number;
  /** Frames left uncopied after which the next checkpoint follows at once (default 2,000). */
  backlogPages?: number;
  /** WAL frames from which the WAL is started over once copied (default 65,536: 256 MiB of 4 KiB pages). */
  restartPages?: number;
  /** Frames left to the writer's connection to copy when starting the WAL over, at most (default 64). */
  finishPages?: number;
  /** Reads the worker may be asked to run (`read`), by name: SQL returning rows. */
  reads?: Readonly<Record<string, string>>;
  /** Called when the worker fails or reports an error; the connection then checkpoints itself. */
  onFailure(error: Error): void;
}

/** Default WAL frames from which the background checkpoint starts the WAL over. */
export const DEFAULT_RESTART_PAGES = 65_536;

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private failed = false;
  private closing = false;
  private nextId = 0;
  /** Set to 1 by the worker once its connection is closed. */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private readonly asked = new Map<number, { resolve(rows: unknown[]): void; reject(error: Error): void }>();
  /**
   * WAL restarts so far, and the time the writer's connection spent copying the last frames
   * before them (that is the writer's whole cost: it never waits on the worker).
   */
  readonly restarts = { count: 0, totalMs: 0, maxMs: 0 };

  constructor(private readonly options: CheckpointerOptions) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver,
        path: options.path,
        intervalMs: options.intervalMs ?? 50,
        backlogPages: options.backlogPages ?? 2000,
        restartPages: options.restartPages ?? DEFAULT_RESTART_PAGES,
        finishPages: options.finishPages ?? 64,
        maxPasses: 4,
        closed: this.closed.buffer,
        reads: options.reads ?? {},
      },
      // The worker needs no TypeScript loader and no inspector flags of the parent.
      execArgv: [],
    });
    // Never the reason the process stays alive.
    this.worker.unref();
    this.worker.on("message", (message: WorkerMessage) => {
      if (message.id !== undefined) {
        const asked = this.asked.get(message.id);
        this.asked.delete(message.id);
        if (message.readError !== undefined) asked?.reject(new Error(message.readError));
        else asked?.resolve(message.rows ?? []);
      } else if (message.error !== undefined) this.fail(new Error(`background checkpoint: ${message.error}`));
      else if (message.finish) this.finish();
    });
    this.worker.on("error", (error) => this.fail(new Error(`background checkpoint: ${error.message}`)));
    this.worker.on("exit", (code) => {
      if (!this.closing) this.fail(new Error(`background checkpoint worker exited with code ${code}`));
    });
  }

  /** Whether reads can be asked of the worker (it has not failed or closed). */
  get available(): boolean {
    return !this.failed && !this.closing;
  }

  /**
   * Copies the WAL's last frames on the writer's connection (a macrotask: never inside one of its
   * transactions) and lets the worker go on. When every frame is copied, the writer's next
   * transaction starts the WAL over from its beginning.
   */
  private finish(): void {
    if (this.failed || this.closing) return;
    const { writer } = this.options;
    if (writer.open && !writer.inTransaction) {
      const started = performance.now();
      try {
        const [result] = writer.pragma("wal_checkpoint(PASSIVE)") as {
          busy: number;
          log: number;
          checkpointed: number;
        }[];
        if (result && result.busy === 0 && result.log === result.checkpointed) this.restarts.count++;
      } catch (error) {
        this.fail(new Error(`background checkpoint: ${(error as Error).message}`));
        return;
      }
      const ms = performance.now() - started;
      this.restarts.totalMs += ms;
      this.restarts.maxMs = Math.max(this.restarts.maxMs, ms);
    }
    this.worker.postMessage("finished");
  }

  /**
   * Runs one of `options.reads` on the worker's connection (a committed snapshot), off the
   * caller's thread.
   */
  read<Row>(name: string, params: readonly (string | number)[] = []): Promise<Row[]> {
    const id = this.nextId++;
    return new Promise<Row[]>((resolve, reject) => {
      this.asked.set(id, { resolve: resolve as (rows: unknown[]) => void, reject });
      this.worker.postMessage({ id, read: name, params });
    });
  }

  /**
   * Closes the worker's connection and waits (up to 2 s) until it has, so the caller's own close
   * is the last one: SQLite then checkpoints and removes the WAL, and the files are left alone.
   */
  close(): void {
    if (this.closing) return;
    const alive = !this.failed;
    this.closing = true;
    for (const asked of this.asked.values()) asked.reject(new Error("closed"));
    this.asked.clear();
    this.worker.postMessage("close");
    if (alive) Atomics.wait(this.closed, 0, 0, 2000);
  }

  private fail(error: Error): void {
    for (const asked of this.asked.values()) asked.reject(error);
    this.asked.clear();
    if (this.failed || this.closing) return;
    this.failed = true;
    this.options.onFailure(error);
    void this.worker.terminate();
  }
}
