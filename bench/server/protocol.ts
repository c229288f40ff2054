import type { JourneyDefinition, SegmentDefinition, TemplateDefinition } from "../../src/core/model.js";
import type { LatencySummary } from "../lib/latency-histogram.js";

/**
 * The IPC protocol between a benchmark scenario (parent) and the Journeys server it runs in a
 * child process, so the server's CPU and memory are measured apart from the load generator's.
 */

/** How the parent configures the child (passed as JSON in argv). */
export interface ServerConfig {
  dbPath: string;
  partitions: number;
  project: string;
  apiKey: string;
  /** The workload the child regenerates for in-process load and seeding (same seed, same users). */
  workload: { users: number; seed: number };
  cacheSize?: number;
  batchSize?: number;
  timerHorizonMs?: number;
  synchronous?: "normal" | "full";
  /** HTTP port (default: any free port). */
  port?: number;
  /**
   * Run the engine's dispatcher (default false: deliveries stay queued in the outbox, which is
   * what throughput and timers measure). With `webhookUrl`, `webhook` sends go there.
   */
  dispatcher?: boolean;
  webhookUrl?: string;
  /** Write a CPU profile to this directory when the child exits (node --cpu-prof). */
  cpuProfileDir?: string;
}

/** Garbage-collection pauses: all of them, scavenges, and full collections' final pauses. */
export interface GcPauses {
  count: number;
  totalMs: number;
  maxMs: number;
  majorMs: number;
  minorMs: number;
  /** Full (mark-compact) collections. */
  majors: number;
}

export interface Progress {
  /** Inputs appended to the log (all partitions). */
  appended: number;
  /** Inputs the executor has committed. */
  consumed: number;
  /** Timer inputs committed so far. */
  timersFired: number;
  /** Partition batches committed so far, the inputs they held, and the store transactions holding them. */
  batches: number;
  batchInputs: number;
  commits: number;
  /** Events ingested by in-process drives so far. */
  ingested: number;
  /** process.cpuUsage() of the server, in microseconds. */
  cpuUserUs: number;
  cpuSystemUs: number;
  /** Time the main thread (HTTP, log append, executor, dispatcher) ran on a core, in ns (Linux). */
  mainThreadCpuNs?: number | undefined;
  rssBytes: number;
  heapUsedBytes: number;
  timersInMemory: number;
  /** WAL restarts by the background checkpoint so far, and the engine's thread's time copying the last frames before them. */
  checkpointRestarts?: { count: number; totalMs: number; maxMs: number } | undefined;
  /** Longest store commit and longest executor round so far, in ms. */
  stalls?: { commitMs: number; roundMs: number };
  /** Garbage-collection pauses of the main thread so far. */
  gcPauses?: GcPauses;
  /** The child's monotonic clock when sampled. */
  at: number;
}

export interface LatencyReport {
  /** Intended send time (stamped by the client in `properties._t`) to the input committed. */
  committed: LatencySummary;
  /** Intended send time to a delivery it caused committed in the outbox. */
  outbox: LatencySummary;
  /** Timer due to the timer service handing it to the executor. */
  timerFired: LatencySummary;
  /** Timer due to its transition committed. */
  timerCommitted: LatencySummary;
  /** Monotonic times of the first and last timer committed while recording, and how many. */
  timerWindow: { first: number; last: number; count: number };
  /** Event-loop delay of the server while recording (perf_hooks, 1 ms resolution). */
  eventLoopDelay: LatencySummary;
}

export interface StorageReport {
  /** Database plus WAL file, after a checkpoint. */
  fileBytes: number;
  /** Bytes per table and index (SQLite dbstat), when available. */
  objects: { [name: string]: number };
  timers: number;
}

export interface DriveOptions {
  /** Stop after this many events, or after `durationMs`, whichever comes first. */
  events: number;
  durationMs: number;
  batch: number;
  /** Concurrent ingest calls in flight. */
  concurrency: number;
  /** Pause while the executor is this far behind the log. */
  maxLag: number;
  stream: number;
}

export interface WaitsOptions {
  /** The entry event of a waiting journey. */
  event: string;
  count: number;
  /** Users the waits are spread over: wait i goes to user i % users with key floor(i / users). */
  users: number;
  /** Index of the first wait, so successive calls schedule new waits. */
  first: number;
  batch: number;
  concurrency: number;
  maxLag: number;
  /** Events per second, 0 for as fast as possible. */
  rate: number;
}

/** Waits due at set moments: user `fire-<i>` gets `fireAt = startAt + i / rate` and an entry event. */
export interface TimedWaitsOptions {
  /** The entry event of a journey waiting `{ at: { attribute: "fireAt" } }`. */
  event: string;
  count: number;
  /** Epoch ms of the first due time. */
  startAt: number;
  /** Due times per second. */
  rate: number;
  batch: number;
}

export type Command =
  | {
      cmd: "setup";
      journeys: JourneyDefinition[];
      templates: TemplateDefinition[];
      segments: SegmentDefinition[];
    }
  | { cmd: "seed-users"; from: number; count: number; batch: number }
  | { cmd: "progress" }
  | { cmd: "drain"; timeoutMs: number }
  | { cmd: "drive"; options: DriveOptions }
  /** Ends a running drive (its `drive` request then answers). */
  | { cmd: "stop-drive" }
  | { cmd: "waits"; options: WaitsOptions }
  | { cmd: "timed-waits"; options: TimedWaitsOptions }
  | { cmd: "latency"; reset: boolean }
  /**
   * The latency scenario's open loop run in the server's own process (no HTTP; answers an
   * `OpenLoopSummary`): events due from
   * `startAt` (monotonic ms) at `rate`, recording from `startAt + warmupMs` (the `record` command's
   * work, done by the loop at that moment) for outbox deliveries caused by `outboxEvents`.
   */
  | {
      cmd: "open-loop";
      rate: number;
      startAt: number;
      warmupMs: number;
      windowMs: number;
      outboxEvents: string[];
    }
  | { cmd: "record"; on: boolean; outboxEvents?: string[]; since?: number }
  /** File size and, for the named tables and indices (all when omitted), their bytes. */
  | { cmd: "storage"; objects?: string[] }
  | { cmd: "gc" }
  /** The longest commit and executor round since the last call, in ms (then starts over). */
  | { cmd: "stalls" }
  | { cmd: "shutdown" };

export interface SetupResult {
  published: string[];
  failed: { id: string; error: string }[];
}

export interface Request {
  id: number;
  command: Command;
}

export type Reply = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: string };

/** Messages the child sends on its own. */
export type Notice =
  | { notice: "listening"; port: number; timings: { [step: string]: number } }
  | { notice: "first-timer"; at: number }
  | { notice: "error"; message: string };
