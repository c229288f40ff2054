import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/**
 * Copies the WAL back into the database file from a worker thread, so the writer's commits never
 * pay for it. SQLite's automatic checkpoint runs inside the COMMIT that crosses the threshold:
 * under load that was 15-20% of the engine's thread. A PASSIVE checkpoint on a second connection
 * waits for nobody and blocks nobody; once it has copied every frame, the next writer starts
 * the WAL over from its beginning, so the file stays small while the writer keeps writing.
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
function checkpoint(mode) {
  const [result] = db.pragma("wal_checkpoint(" + mode + ")");
  return result || { busy: 0, log: 0, checkpointed: 0 };
}
function run() {
  if (closed) return;
  let again = false;
  let restartMs;
  try {
    let result = checkpoint("PASSIVE");
    const left = result.log - result.checkpointed;
    if (result.log >= workerData.restartPages && left <= workerData.backlogPages) {
      // A busy writer keeps adding frames, so the WAL is never all copied at the moment a write
      // begins, and SQLite only starts it over then. Once nearly all is copied, RESTART copies
      // the rest while holding writers back briefly, and the next write starts the WAL over.
      db.pragma("busy_timeout = " + workerData.restartWaitMs);
      const started = performance.now();
      try {
        result = checkpoint("RESTART");
      } finally {
        db.pragma("busy_timeout = 0");
      }
      restartMs = performance.now() - started;
    } else {
      // Still far behind the writer: go again at once rather than after the interval.
      again = left > workerData.backlogPages;
    }
    if (restartMs !== undefined) parentPort.postMessage({ restartMs });
  } catch (error) {
    parentPort.postMessage({ error: String(error && error.message ? error.message : error) });
  }
  timer = setTimeout(run, again ? 0 : workerData.intervalMs);
}
// Counts that walk a whole index (10M pending timers: about a second) run here, off the engine's thread.
const counts = { timers: "SELECT count(*) AS n FROM timers" };
parentPort.on("message", (message) => {
  if (message && typeof message === "object" && message.count in counts) {
    try {
      const row = db.prepare(counts[message.count]).get();
      parentPort.postMessage({ id: message.id, n: row.n });
    } catch (error) {
      parentPort.postMessage({ id: message.id, countError: String(error && error.message ? error.message : error) });
    }
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
  restartMs?: number;
  id?: number;
  n?: number;
  countError?: string;
}

export interface CheckpointerOptions {
  path: string;
  /** Pause between checkpoints when the WAL is nearly copied (default 50 ms). */
  intervalMs?: number;
  /** Frames left uncopied after which the next checkpoint follows at once (default 2,000). */
  backlogPages?: number;
  /** WAL frames from which the worker starts the WAL over once it has caught up (default 8,192: 32 MiB). */
  restartPages?: number;
  /** How long a restart waits for the writer's transaction to end (default 200 ms). */
  restartWaitMs?: number;
  /** Called when the worker fails or reports an error; the connection then checkpoints itself. */
  onFailure(error: Error): void;
}

export class BackgroundCheckpointer {
  private readonly worker: Worker;
  private failed = false;
  private closing = false;
  private nextId = 0;
  /** Set to 1 by the worker once its connection is closed. */
  private readonly closed = new Int32Array(new SharedArrayBuffer(4));
  private readonly asked = new Map<number, { resolve(n: number): void; reject(error: Error): void }>();
  /** WAL restarts so far and how long they took (writers wait during part of each). */
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
        restartPages: options.restartPages ?? 8192,
        restartWaitMs: options.restartWaitMs ?? 200,
        closed: this.closed.buffer,
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
        if (message.countError !== undefined) asked?.reject(new Error(message.countError));
        else asked?.resolve(message.n ?? 0);
      } else if (message.error !== undefined) this.fail(new Error(`background checkpoint: ${message.error}`));
      else if (message.restartMs !== undefined) {
        this.restarts.count++;
        this.restarts.totalMs += message.restartMs;
        this.restarts.maxMs = Math.max(this.restarts.maxMs, message.restartMs);
      }
    });
    this.worker.on("error", (error) => this.fail(new Error(`background checkpoint: ${error.message}`)));
    this.worker.on("exit", (code) => {
      if (!this.closing) this.fail(new Error(`background checkpoint worker exited with code ${code}`));
    });
  }

  /** Whether counts can be asked of the worker (it has not failed or closed). */
  get available(): boolean {
    return !this.failed && !this.closing;
  }

  /** Counts rows on the worker's connection (a committed snapshot), off the caller's thread. */
  count(table: "timers"): Promise<number> {
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.asked.set(id, { resolve, reject });
      this.worker.postMessage({ id, count: table });
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
