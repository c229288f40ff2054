import type { JourneyDefinition } from "../../src/core/model.js";
import { sleep } from "../lib/clock.js";
import type { LatencySummary } from "../lib/latency-histogram.js";
import type { ScenarioResult } from "../lib/results.js";
import { bytes, ms, num, type Table } from "../lib/table.js";
import type { GcPauses, LatencyReport, Progress, StorageReport } from "../server/protocol.js";
import type { ServerProcess } from "../server/server-process.js";
import { ProgressMonitor, publish, type Scenario, type ScenarioContext, startServer } from "./context.js";

/** A wait nobody sees end during the run: each entry leaves one pending timer. */
export const WAIT_LONG: JourneyDefinition = {
  id: "bench-wait-long",
  name: "Benchmark: long wait",
  entry: { event: "bench_wait_long", key: "properties.k", reentry: "never" },
  start: "wait",
  nodes: { wait: { edges: [{ to: "done", when: { after: "30d" } }] }, done: {} },
};

/**
 * A wait until a moment held in the profile (`fireAt`, epoch ms): the firing test sets those
 * moments at exactly the firing rate, whatever the speed at which the waits were scheduled.
 */
export const WAIT_AT: JourneyDefinition = {
  id: "bench-wait-at",
  name: "Benchmark: wait until fireAt",
  entry: { event: "bench_wait_at", reentry: "never" },
  start: "wait",
  nodes: { wait: { edges: [{ to: "done", when: { at: { attribute: "fireAt" } } }] }, done: {} },
};

/** The timers table (keyed by due since schema 3; `timers_due` was its due index before). */
const TIMER_OBJECTS = ["timers", "timers_due"];

export interface TimerSizes {
  /** Pending-timer counts measured in turn (cumulative). */
  targets: number[];
  /** Users the waits are spread over (a user waits once per key). */
  users: number;
  fireRate: number;
  fireS: number;
}

export function timerSizes(context: ScenarioContext): TimerSizes {
  const { quick, users } = context.options;
  // BENCH_TIMER_TARGETS=1000000 (comma-separated counts): other sizes, for experiments.
  const custom = (process.env.BENCH_TIMER_TARGETS ?? "").split(",").filter(Boolean).map(Number);
  const targets = custom.length > 0 ? custom : quick ? [50_000] : [1_000_000, 10_000_000];
  return {
    targets,
    users: Math.min(users ?? (quick ? 50_000 : 1_000_000), targets[0] as number),
    fireRate: 10_000,
    fireS: quick ? 3 : 30,
  };
}

/** Figures at one pending-timer count. */
export interface ScheduleFigures {
  pending: number;
  scheduled: number;
  /** Waits scheduled per second, from the first ingest to the last timer committed. */
  perS: number;
  rssBytes: number;
  /** RSS growth since before the first wait, per pending timer (after a full GC). */
  rssPerTimer: number;
  /** RSS growth since the previous count, per timer added: what one more pending timer costs. */
  rssPerAddedTimer: number | null;
  /** Growth of the database file (log, event ids, profiles, instances, timers) per timer. */
  diskPerTimer: number;
  /** The timers table (and its due index, before schema 3) alone, per timer (SQLite dbstat). */
  timerRowsPerTimer: number;
}

export interface FireFigures {
  count: number;
  rate: number;
  /** Seconds between the end of scheduling the fire set and its first due time (negative: late). */
  slackS: number;
  /** Observed firing rate: timers committed over the span between the first and the last. */
  observedPerS: number;
  /** Due to the timer service handing the timer to the executor. */
  handed: LatencySummary;
  /** Due to the transition committed: the lateness a user sees. */
  committed: LatencySummary;
  peakRssBytes: number;
  /** WAL restarts during the firing, and the engine's thread's time copying the last frames before them. */
  walRestarts?: { count: number; totalMs: number; maxMs: number };
  /** Longest store commit and longest executor round (due timers taken to committed) while firing, ms. */
  stalls?: { commitMs: number; roundMs: number };
  /** Garbage-collection pauses of the server while firing (longest: over the whole run). */
  gcPauses?: GcPauses;
}

export interface TimerFigures {
  sizes: TimerSizes;
  schedule: ScheduleFigures[];
  fire: FireFigures;
}

export const timers: Scenario = {
  name: "timers",
  summary: "schedule N waits through the engine: rate, RSS and disk per pending timer; lateness firing 10k/s",
  async run(context) {
    const figures = await measureJourneysTimers(context);
    return {
      scenario: "timers",
      mode: context.options.quick ? "quick" : "full",
      parameters: { ...figures.sizes },
      tables: [timerTable(figures)],
      figures: { ...figures },
    } satisfies ScenarioResult;
  },
};

export function timerTable(figures: TimerFigures): Table {
  const { fire, sizes } = figures;
  return {
    title: `timers: waits entered by events (one per user and key over ${num(sizes.users)} users), SQLite`,
    columns: [
      "pending",
      "schedule/s",
      "RSS",
      "RSS/timer",
      "RSS/added timer",
      "disk/timer",
      "timer rows/timer",
    ],
    rows: figures.schedule.map((s) => [
      num(s.pending),
      num(s.perS),
      bytes(s.rssBytes),
      bytes(s.rssPerTimer),
      s.rssPerAddedTimer === null ? "-" : bytes(s.rssPerAddedTimer),
      bytes(s.diskPerTimer),
      bytes(s.timerRowsPerTimer),
    ]),
    notes: [
      `firing ${num(fire.count)} timers due at ${num(fire.rate)}/s (observed ${num(fire.observedPerS)}/s) with the above pending` +
        (fire.slackS < 0
          ? ` (scheduling them ended ${(-fire.slackS).toFixed(1)} s after the first was due)`
          : ""),
      `  lateness to transition committed: p50 ${ms(fire.committed.p50)} ms, p99 ${ms(fire.committed.p99)} ms, max ${ms(fire.committed.max)} ms`,
      `  lateness to handed to the executor: p50 ${ms(fire.handed.p50)} ms, p99 ${ms(fire.handed.p99)} ms, max ${ms(fire.handed.max)} ms`,
      ...(fire.walRestarts
        ? [
            `  WAL restarts while firing: ${fire.walRestarts.count} (engine thread copying the last frames: ${ms(fire.walRestarts.totalMs)} ms in all; longest in the run ${ms(fire.walRestarts.maxMs)} ms)`,
          ]
        : []),
      ...(fire.stalls
        ? [
            `  longest while firing: store commit ${ms(fire.stalls.commitMs)} ms, executor round ${ms(fire.stalls.roundMs)} ms`,
          ]
        : []),
      ...(fire.gcPauses
        ? [
            `  garbage-collection pauses while firing: ${fire.gcPauses.count} (${ms(fire.gcPauses.totalMs)} ms in all: ${ms(fire.gcPauses.minorMs)} ms young generation, ${ms(fire.gcPauses.majorMs)} ms in ${fire.gcPauses.majors} full collections; longest in the run ${ms(fire.gcPauses.maxMs)} ms)`,
          ]
        : []),
      "RSS/timer = RSS growth since before the first wait / pending (includes filling the 64 MiB page cache and the executor's user cache);",
      "RSS/added timer = growth between two counts / timers added; disk/timer = database growth per wait (log entry, profile, instance,",
      "timer, journal); timer rows = the timers table (SQLite dbstat)",
    ],
  };
}

/** Runs the Journeys side of the timer measurements (shared with the BullMQ comparison). */
export async function measureJourneysTimers(context: ScenarioContext): Promise<TimerFigures> {
  const sizes = timerSizes(context);
  const server = await startServer(context, "timers.db", {
    workload: { users: sizes.users, seed: context.options.seed },
  });
  try {
    await publish(context, server, undefined, [WAIT_LONG, WAIT_AT]);
    const base = await server.request<Progress>({ cmd: "gc" });
    const baseStorage = await server.request<StorageReport>({ cmd: "storage", objects: TIMER_OBJECTS });
    const schedule: ScheduleFigures[] = [];
    let scheduled = 0;
    let previous: ScheduleFigures | undefined;
    for (const target of sizes.targets) {
      const count = target - scheduled;
      context.log(`  scheduling ${num(count)} waits (to ${num(target)} pending)...`);
      const elapsedMs = await scheduleWaits(server, "bench_wait_long", scheduled, count, sizes.users);
      scheduled = target;
      const after = await server.request<Progress>({ cmd: "gc" });
      const storage = await server.request<StorageReport>({ cmd: "storage", objects: TIMER_OBJECTS });
      const timerRows = (storage.objects.timers ?? 0) + (storage.objects.timers_due ?? 0);
      schedule.push({
        pending: storage.timers,
        scheduled: target,
        perS: count / (elapsedMs / 1000),
        rssBytes: after.rssBytes,
        rssPerTimer: (after.rssBytes - base.rssBytes) / target,
        rssPerAddedTimer: previous ? (after.rssBytes - previous.rssBytes) / count : null,
        diskPerTimer: (storage.fileBytes - baseStorage.fileBytes) / target,
        timerRowsPerTimer: timerRows / Math.max(1, storage.timers),
      });
      previous = schedule[schedule.length - 1];
      context.log(`  ${num(target)} pending: ${num(count / (elapsedMs / 1000))} waits/s`);
    }
    // Two inputs per fire-set wait (profile + entry); leave room for them to be committed before the first is due.
    const slowest = Math.min(...schedule.map((s) => s.perS));
    const leadS = Math.max(3, (1.5 * 2 * sizes.fireRate * sizes.fireS) / slowest);
    context.log(
      `  firing: ${num(sizes.fireRate * sizes.fireS)} waits due at ${num(sizes.fireRate)}/s, from ${leadS.toFixed(1)} s on`,
    );
    const fire = await fireAtRate(server, sizes, leadS);
    return { sizes, schedule, fire };
  } finally {
    await server.stop();
  }
}

/** Ingests `count` wait entries as fast as the executor takes them; returns ms until all are committed. */
async function scheduleWaits(
  server: ServerProcess,
  event: string,
  first: number,
  count: number,
  users: number,
): Promise<number> {
  const result = await server.request<{ elapsedMs: number }>({
    cmd: "waits",
    options: { event, first, count, users, batch: 5000, concurrency: 4, maxLag: 200_000, rate: 0 },
  });
  const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 1_800_000 });
  return result.elapsedMs + drain.elapsedMs;
}

async function fireAtRate(server: ServerProcess, sizes: TimerSizes, leadS: number): Promise<FireFigures> {
  const count = sizes.fireRate * sizes.fireS;
  const monitor = new ProgressMonitor(server, 250);
  const before = await monitor.start();
  const startAt = Date.now() + leadS * 1000;
  await server.request({ cmd: "record", on: true });
  try {
    await server.request({
      cmd: "timed-waits",
      options: { event: "bench_wait_at", count, startAt, rate: sizes.fireRate, batch: 2000 },
    });
    await server.request({ cmd: "drain", timeoutMs: 600_000 });
    const slackS = (startAt - Date.now()) / 1000;
    // From here on only the firing runs: the longest commit and round measured below are its own,
    // and so are the WAL restarts and collections counted from this sample.
    await server.request({ cmd: "stalls" });
    const firing = await monitor.sample();
    const deadline = startAt + sizes.fireS * 1000 + 120_000;
    while (Date.now() < deadline) {
      const progress = await monitor.sample();
      if (progress.timersFired - before.timersFired >= count) break;
      await sleep(250);
    }
    const report = await server.request<LatencyReport>({ cmd: "latency", reset: true });
    const span = (report.timerWindow.last - report.timerWindow.first) / 1000;
    const last = await monitor.sample();
    const stalls = await server.request<{ commitMs: number; roundMs: number }>({ cmd: "stalls" });
    const [a, b] = [firing.checkpointRestarts, last.checkpointRestarts];
    const [g0, g1] = [firing.gcPauses, last.gcPauses];
    return {
      count,
      rate: sizes.fireRate,
      slackS,
      observedPerS: span > 0 ? report.timerWindow.count / span : 0,
      handed: report.timerFired,
      committed: report.timerCommitted,
      peakRssBytes: monitor.peakRss,
      stalls,
      ...(a && b
        ? { walRestarts: { count: b.count - a.count, totalMs: b.totalMs - a.totalMs, maxMs: b.maxMs } }
        : {}),
      ...(g0 && g1
        ? {
            gcPauses: {
              count: g1.count - g0.count,
              totalMs: g1.totalMs - g0.totalMs,
              maxMs: g1.maxMs,
              majorMs: g1.majorMs - g0.majorMs,
              minorMs: g1.minorMs - g0.minorMs,
              majors: g1.majors - g0.majors,
            },
          }
        : {}),
    };
  } finally {
    monitor.stop();
    await server.request({ cmd: "record", on: false });
  }
}
