import { existsSync, statSync } from "node:fs";
import { setPriority } from "node:os";
import { constants, PerformanceObserver } from "node:perf_hooks";
import BetterSqlite3 from "better-sqlite3";
import { ApiKeys } from "../../src/api/auth.js";
import { buildServer } from "../../src/api/server.js";
import {
  limitHeapGrowth,
  SERVE_HEAP_GROWING_PERCENT,
  SERVE_HEAP_HEADROOM_BYTES,
} from "../../src/cli/heap-growth.js";
import type { JsonObject } from "../../src/core/model.js";
import { Engine } from "../../src/runtime/engine.js";
import { RequestError } from "../../src/runtime/errors.js";
import { openSqlite } from "../../src/store/sqlite/open.js";
import type { CommitBatch, CommitResult, DeliveryLease } from "../../src/store/types.js";
import { monotonicMs, sleep } from "../lib/clock.js";
import { latencyEvents } from "../lib/latency-mix.js";
import { openLoop, summarizeOpenLoop } from "../lib/open-loop.js";
import { Workload } from "../workload.js";
import { HeapSurvivors } from "./heap-survivors.js";
import {
  appendedTotal,
  consumedTotal,
  type DriveControl,
  driveWorkload,
  scheduleTimedWaits,
  scheduleWaits,
  seedUsers,
} from "./in-process-load.js";
import type {
  Command,
  GcPauses,
  Notice,
  Progress,
  Reply,
  Request,
  ServerConfig,
  SetupResult,
  StorageReport,
} from "./protocol.js";
import { Recorder } from "./recorder.js";
import { StallTrace, threadSchedstat } from "./stall-trace.js";
import { WindowProfile } from "./window-profile.js";

/**
 * A Journeys server for benchmarks, run as a child process: the same wiring as `journeys serve`
 * (SQLite store and log, Engine, HTTP API) plus an IPC channel through which the scenario asks
 * for progress, in-process load and measurements.
 */

const startedAt = monotonicMs();
const config = JSON.parse(process.argv[2] ?? "{}") as ServerConfig;
const send = (message: Notice | Reply): void => {
  process.send?.(message);
};
// An orphaned server must not outlive its benchmark.
process.on("disconnect", () => process.exit(0));

const timings: { [step: string]: number } = { started: startedAt };
// The old generation's growth between full collections, as `journeys serve` sets it;
// BENCH_HEAP_HEADROOM_MB sets a floor under it, as `--heap-headroom` does (default none).
limitHeapGrowth(
  SERVE_HEAP_GROWING_PERCENT,
  process.env.BENCH_HEAP_HEADROOM_MB !== undefined
    ? Number(process.env.BENCH_HEAP_HEADROOM_MB) * 1024 * 1024
    : SERVE_HEAP_HEADROOM_BYTES,
);
// Garbage-collection pauses of the server's main thread, to tell them apart from storage stalls.
const gcPauses: GcPauses = { count: 0, totalMs: 0, maxMs: 0, majorMs: 0, minorMs: 0, majors: 0 };
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    gcPauses.count++;
    gcPauses.totalMs += entry.duration;
    gcPauses.maxMs = Math.max(gcPauses.maxMs, entry.duration);
    // Node's kinds (perf_hooks constants): a scavenge of the young generation, a full (mark-compact)
    // collection's final pause; incremental marking steps and weak callbacks count in the total only.
    const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
    if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
      gcPauses.majorMs += entry.duration;
      gcPauses.majors++;
    } else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) gcPauses.minorMs += entry.duration;
  }
}).observe({ entryTypes: ["gc"] });
const storage = openSqlite({
  path: config.dbPath,
  synchronous: config.synchronous ?? "normal",
  backgroundCheckpoint: process.env.BENCH_BACKGROUND_CHECKPOINT !== "0",
  ...(process.env.BENCH_CHECKPOINT_RESTART_PAGES
    ? { checkpointRestartPages: Number(process.env.BENCH_CHECKPOINT_RESTART_PAGES) }
    : {}),
  ...(process.env.BENCH_SQLITE_PAGE_SIZE ? { pageSize: Number(process.env.BENCH_SQLITE_PAGE_SIZE) } : {}),
  // BENCH_RESERVE_MIB: space the file is grown to at open, as `journeys serve --reserve-mib`.
  ...(process.env.BENCH_RESERVE_MIB
    ? { reserveBytes: Number(process.env.BENCH_RESERVE_MIB) * 1024 * 1024 }
    : {}),
});
const { store, log } = storage;
// Experiments: BENCH_SQLITE_PRAGMAS="wal_autocheckpoint = 10000; cache_size = -262144" tries
// other settings on the engine's own connection without changing the store.
for (const pragma of (process.env.BENCH_SQLITE_PRAGMAS ?? "").split(";")) {
  if (pragma.trim()) storage.connection.db.pragma(pragma.trim());
}
timings.opened = monotonicMs();
const keys = new ApiKeys(store);
if (!(await keys.resolve(config.apiKey))) await keys.create(config.project, "bench", config.apiKey);
if (config.webhookUrl) {
  await store.putDocument(config.project, "provider", "bench-webhook", {
    type: "webhook",
    channel: "webhook",
    config: { url: config.webhookUrl },
  });
}

const recorder = new Recorder((at) => send({ notice: "first-timer", at }));
// Deliveries are only visible in the batches handed to the store: observe them once committed.
const commit = store.commit.bind(store);
// Longest store commit and longest executor round (read, advance, commit) so far.
const stalls = { commitMs: 0, roundMs: 0 };
const timed = async <T>(work: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await work();
  stalls.commitMs = Math.max(stalls.commitMs, performance.now() - started);
  return result;
};
store.commit = async (batch: CommitBatch, lease?: DeliveryLease): Promise<CommitResult> => {
  const result = await timed(() => commit(batch, lease));
  recorder.afterCommit([batch]);
  return result;
};
const commitMany = store.commitMany?.bind(store);
if (commitMany) {
  store.commitMany = async (
    batches: readonly CommitBatch[],
    lease?: DeliveryLease,
  ): Promise<CommitResult> => {
    const result = await timed(() => commitMany(batches, lease));
    recorder.afterCommit(batches);
    return result;
  };
}

const engine = new Engine({
  store,
  log,
  partitions: config.partitions,
  batchSize: config.batchSize,
  // BENCH_USER_CACHE: the executor's user-cache weight (users + instances), for experiments.
  cacheSize: process.env.BENCH_USER_CACHE ? Number(process.env.BENCH_USER_CACHE) : config.cacheSize,
  // BENCH_CACHE_REMEMBERED: reads of uncached users the cache's admission remembers (0: admit all).
  ...(process.env.BENCH_CACHE_REMEMBERED
    ? { cacheRemembered: Number(process.env.BENCH_CACHE_REMEMBERED) }
    : {}),
  // BENCH_QUIET_USERS: users whose quiet events the executor can skip (0: skipping off).
  ...(process.env.BENCH_QUIET_USERS ? { quietUsers: Number(process.env.BENCH_QUIET_USERS) } : {}),
  ...(process.env.BENCH_ROUND_BUDGET_MS ? { roundBudgetMs: Number(process.env.BENCH_ROUND_BUDGET_MS) } : {}),
  ...(process.env.BENCH_MIN_ROUND_BUDGET_MS
    ? { minRoundBudgetMs: Number(process.env.BENCH_MIN_ROUND_BUDGET_MS) }
    : {}),
  // BENCH_TIMER_HORIZON_MS: how far ahead the timer service holds due timers in memory (default 60 s).
  timerHorizonMs: process.env.BENCH_TIMER_HORIZON_MS
    ? Number(process.env.BENCH_TIMER_HORIZON_MS)
    : config.timerHorizonMs,
  ...(process.env.BENCH_EVENT_HISTORY === "all" || process.env.BENCH_EVENT_HISTORY === "referenced"
    ? { history: process.env.BENCH_EVENT_HISTORY }
    : {}),
  // The receiver runs on 127.0.0.1, which the URL guard refuses unless told otherwise.
  // BENCH_DISPATCHER=0 (experiment): no dispatcher even where the scenario runs one.
  // The providers' calls in their own thread, as `journeys serve` makes them (BENCH_PROVIDER_THREAD=0: on the engine's).
  delivery:
    config.dispatcher && process.env.BENCH_DISPATCHER !== "0"
      ? {
          provider: { allowPrivateUrls: true },
          providerThread: process.env.BENCH_PROVIDER_THREAD !== "0",
          // BENCH_PER_PROVIDER / BENCH_DISPATCH_CONCURRENCY: provider calls in flight per
          // provider and in all (the dispatcher's defaults), for experiments.
          ...(process.env.BENCH_PER_PROVIDER
            ? { perProviderConcurrency: Number(process.env.BENCH_PER_PROVIDER) }
            : {}),
          ...(process.env.BENCH_DISPATCH_CONCURRENCY
            ? { concurrency: Number(process.env.BENCH_DISPATCH_CONCURRENCY) }
            : {}),
        }
      : false,
  onBatch: (report) => {
    stalls.roundMs = Math.max(stalls.roundMs, report.committedAt - report.startedAt);
    recorder.onBatch(report);
  },
  onTimerFired: (lateness) => recorder.onTimerFired(lateness),
  onError: (error, where) =>
    send({ notice: "error", message: `${where}: ${(error as Error).stack ?? String(error)}` }),
});
// BENCH_TRACE_STALLS=<file.json>: what holds the server's thread, call by call (bench/server/stall-trace.ts).
const traceFile = process.env.BENCH_TRACE_STALLS;
const stallTrace = traceFile ? new StallTrace(traceFile) : undefined;
if (stallTrace) {
  // BENCH_TRACE_WAL=1 also counts the WAL bytes each call wrote (needs BENCH_BACKGROUND_CHECKPOINT=0
  // and BENCH_SQLITE_PRAGMAS="wal_autocheckpoint = 0", so that the WAL only grows).
  if (process.env.BENCH_TRACE_WAL === "1") stallTrace.walFile = `${config.dbPath}-wal`;
  stallTrace.wrap("store", store);
  stallTrace.wrap("log", log);
  stallTrace.wrap("engine", engine, ["maintain", "refreshSegments", "ingest"]);
  stallTrace.wrap("timers", engine.timers);
  if (engine.dispatcher) stallTrace.wrap("dispatcher", engine.dispatcher);
  const checkpointer = (storage.connection as unknown as { checkpointer?: object }).checkpointer;
  if (checkpointer) stallTrace.wrap("checkpointer", checkpointer, ["finish"]);
  stallTrace.watchEventLoop();
}
// BENCH_WINDOW_PROFILE=<file.cpuprofile>: a CPU profile of the main thread over the window (window-profile.ts).
const windowProfile = process.env.BENCH_WINDOW_PROFILE
  ? new WindowProfile(process.env.BENCH_WINDOW_PROFILE)
  : undefined;
// BENCH_HEAP_SURVIVORS=<file.heapprofile>: what outlives scavenges during the window (heap-survivors.ts).
// BENCH_HEAP_ALLOCATIONS=<file.heapprofile>: everything allocated during the window, sampled.
const heapSurvivors = process.env.BENCH_HEAP_SURVIVORS
  ? new HeapSurvivors(process.env.BENCH_HEAP_SURVIVORS)
  : process.env.BENCH_HEAP_ALLOCATIONS
    ? new HeapSurvivors(process.env.BENCH_HEAP_ALLOCATIONS, 16_384, true)
    : undefined;
// BENCH_SERVER_NICE=-10 (experiment): the server's threads get that nice value (threads started
// later inherit it), ahead of the load generator on the same cores (tried at 5k/s: no better,
// docs/benchmarks.md "What limits").
if (process.env.BENCH_SERVER_NICE) setPriority(Number(process.env.BENCH_SERVER_NICE));
await engine.start();
timings.engineStarted = monotonicMs();
const app = await buildServer({ engine, keys, logger: false });
await app.listen({ port: config.port ?? 0, host: "127.0.0.1" });
timings.listening = monotonicMs();
const address = app.server.address();
const port = typeof address === "object" && address ? address.port : 0;

const drive: DriveControl = { stopped: false, ingested: 0 };
let workload: Workload | undefined;
const theWorkload = (): Workload => {
  workload ??= new Workload(config.workload);
  return workload;
};

const mainThread = threadSchedstat();

async function progress(): Promise<Progress> {
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return {
    appended: await appendedTotal(engine),
    consumed: consumedTotal(engine),
    timersFired: recorder.timersFired,
    batches: recorder.batches,
    batchInputs: recorder.batchInputs,
    commits: recorder.commits,
    ingested: drive.ingested,
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    mainThreadCpuNs: mainThread?.()[0],
    rssBytes: memory.rss,
    heapUsedBytes: memory.heapUsed,
    timersInMemory: engine.timers.inMemory,
    checkpointRestarts: storage.connection.checkpointRestarts(),
    gcPauses: { ...gcPauses },
    stalls: { ...stalls },
    at: monotonicMs(),
  };
}

async function setup(command: Extract<Command, { cmd: "setup" }>): Promise<SetupResult> {
  const { project } = config;
  for (const template of command.templates) {
    await store.putDocument(project, "template", template.id, template as unknown as JsonObject);
  }
  for (const segment of command.segments) {
    await store.putDocument(project, "segment", segment.id, segment as unknown as JsonObject);
  }
  const result: SetupResult = { published: [], failed: [] };
  for (const journey of command.journeys) {
    try {
      await engine.journeys.create(project, journey);
      await engine.journeys.publish(project, journey.id);
      result.published.push(journey.id);
    } catch (error) {
      const issues = error instanceof RequestError && error.issues ? ` ${JSON.stringify(error.issues)}` : "";
      result.failed.push({ id: journey.id, error: `${(error as Error).message}${issues}` });
    }
  }
  return result;
}

async function drain(timeoutMs: number): Promise<{ drained: boolean; elapsedMs: number }> {
  const start = monotonicMs();
  while (monotonicMs() - start < timeoutMs) {
    if (consumedTotal(engine) >= (await appendedTotal(engine)))
      return { drained: true, elapsedMs: monotonicMs() - start };
    await sleep(5);
  }
  return { drained: false, elapsedMs: monotonicMs() - start };
}

function storageReport(timers: number, names: readonly string[] | undefined): StorageReport {
  const objects: { [name: string]: number } = {};
  const db = new BetterSqlite3(config.dbPath);
  try {
    db.pragma("busy_timeout = 10000");
    db.pragma("wal_checkpoint(TRUNCATE)");
    try {
      // Walking every b-tree of a multi-gigabyte file takes minutes: callers name what they need.
      const rows = names
        ? names.map(
            (name) =>
              db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat WHERE name = ?").get(name) as {
                name: string | null;
                bytes: number | null;
              },
          )
        : (db.prepare("SELECT name, SUM(pgsize) AS bytes FROM dbstat GROUP BY name").all() as {
            name: string;
            bytes: number;
          }[]);
      for (const row of rows) if (row.name) objects[row.name] = row.bytes ?? 0;
    } catch {
      // dbstat is a compile-time option of SQLite; without it only the file size is reported.
    }
  } finally {
    db.close();
  }
  const size = (file: string): number => (existsSync(file) ? statSync(file).size : 0);
  return { fileBytes: size(config.dbPath) + size(`${config.dbPath}-wal`), objects, timers };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case "setup":
      return setup(command);
    case "seed-users": {
      const start = monotonicMs();
      await seedUsers(engine, config.project, theWorkload(), command.from, command.count, command.batch);
      const drained = await drain(600_000);
      return { elapsedMs: monotonicMs() - start, drained: drained.drained };
    }
    case "progress":
      return progress();
    case "drain":
      return drain(command.timeoutMs);
    case "drive":
      return driveWorkload(engine, config.project, theWorkload(), command.options, drive);
    case "stop-drive":
      drive.stopped = true;
      return null;
    case "waits":
      return scheduleWaits(engine, config.project, (i) => theWorkload().userId(i), command.options);
    case "timed-waits":
      return scheduleTimedWaits(engine, config.project, command.options);
    case "stalls": {
      const seen = { ...stalls };
      stalls.commitMs = 0;
      stalls.roundMs = 0;
      return seen;
    }
    case "latency": {
      const report = recorder.report();
      if (command.reset) recorder.reset();
      return report;
    }
    case "open-loop": {
      const { rate, startAt, warmupMs, windowMs, outboxEvents } = command;
      const result = await openLoop(
        (events) =>
          engine.ingest(config.project, events).then(
            () => true,
            () => false,
          ),
        {
          rate,
          startAt,
          durationMs: warmupMs + windowMs,
          maxBatch: 1000,
          event: latencyEvents(theWorkload(), rate, "in-process"),
          mark: { atMs: warmupMs, run: (markAt) => startRecording(outboxEvents, markAt) },
        },
      );
      return summarizeOpenLoop(result);
    }
    case "record":
      if (command.on) {
        await startRecording(command.outboxEvents, command.since);
      } else {
        recorder.stop();
        stallTrace?.write();
        await heapSurvivors?.stop();
        await windowProfile?.stop();
      }
      return null;
    case "storage":
      return storageReport(await store.countTimers(), command.objects);
    case "gc":
      (globalThis as { gc?: () => void }).gc?.();
      return progress();
    case "shutdown":
      await app.close();
      await engine.stop();
      await store.close();
      setImmediate(() => process.exit(0));
      return null;
    default: {
      const never: never = command;
      throw new Error(`unknown command ${JSON.stringify(never)}`);
    }
  }
}

async function startRecording(outboxEvents: string[] | undefined, since: number | undefined): Promise<void> {
  recorder.start(outboxEvents, since);
  stallTrace?.reset();
  await heapSurvivors?.start();
  await windowProfile?.start();
}

process.on("message", (message: Request) => {
  handle(message.command).then(
    (result) => send({ id: message.id, ok: true, result }),
    (error: unknown) => send({ id: message.id, ok: false, error: (error as Error).stack ?? String(error) }),
  );
});

send({ notice: "listening", port, timings });
