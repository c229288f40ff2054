import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { monotonicMs, sleep } from "../lib/clock.js";
import { HttpClient, probe } from "../lib/http-client.js";
import { httpSender, openLoop } from "../lib/open-loop.js";
import type { ScenarioResult } from "../lib/results.js";
import { bytes, ms, num, type Table } from "../lib/table.js";
import { freePort } from "../peer/redis-server.js";
import type { Progress, StorageReport } from "../server/protocol.js";
import type { ServerProcess } from "../server/server-process.js";
import { Workload } from "../workload.js";
import { API_KEY, publish, type Scenario, startServer } from "./context.js";
import { WAIT_AT, WAIT_LONG } from "./timers.js";

/** Timers due while the server is down: they must fire right after the restart. */
const OVERDUE = 1000;
/** Workload events per second sent while the server is killed. */
const LOAD_RATE = 2000;

export const recovery: Scenario = {
  name: "recovery",
  summary:
    "kill -9 under load with N active instances and N pending timers: time to serving and to first timer",
  async run(context) {
    const { quick } = context.options;
    const n = quick ? 30_000 : 1_000_000;
    const users = context.options.users ?? n;
    const workload = new Workload({ users, seed: context.options.seed });
    const port = await freePort();
    const config = { workload: { users, seed: context.options.seed }, port };
    const first = await startServer(context, "recovery.db", config);
    let before: Progress;
    let acked = 0;
    let storageAtKill = 0;
    try {
      await publish(context, first, workload, [WAIT_LONG, WAIT_AT]);
      context.log(`  entering ${num(n)} users into a 30-day wait...`);
      await first.request({
        cmd: "waits",
        options: {
          event: "bench_wait_long",
          first: 0,
          count: n,
          users,
          batch: 5000,
          concurrency: 4,
          maxLag: 200_000,
          rate: 0,
        },
      });
      await first.request({ cmd: "drain", timeoutMs: 1_800_000 });
      const dueAt = Date.now() + 2000;
      await first.request({
        cmd: "timed-waits",
        options: { event: "bench_wait_at", count: OVERDUE, startAt: dueAt, rate: 10_000, batch: 1000 },
      });
      await first.request({ cmd: "drain", timeoutMs: 60_000 });
      context.log(`  workload at ${num(LOAD_RATE)} ev/s, then kill -9 mid-flight`);
      const client = new HttpClient(first.url, API_KEY, 16);
      const stream = workload.events(9000);
      const loading = openLoop(httpSender(client), {
        rate: LOAD_RATE,
        durationMs: 3000,
        maxBatch: 200,
        event: () => stream.next(),
      });
      await sleep(1500);
      before = await first.progress();
      await first.kill9();
      const load = await loading;
      client.close();
      acked = load.sent;
      storageAtKill = fileSize(path.join(context.dir, "recovery.db"));
      // Let the short waits come due while the server is down.
      await sleep(Math.max(0, dueAt + 200 - Date.now()));
    } catch (error) {
      await first.stop();
      throw error;
    }

    context.log("  restarting...");
    let firstTimerAt = 0;
    const spawnAt = monotonicMs();
    let readyAt = 0;
    const polling = (async () => {
      while (readyAt === 0 && monotonicMs() - spawnAt < 600_000) {
        if ((await probe(`http://127.0.0.1:${port}/readyz`, 500)) === 200) readyAt = monotonicMs();
        else await sleep(2);
      }
    })();
    const second: ServerProcess = await startServer(context, "recovery.db", config, (notice) => {
      if (notice.notice === "first-timer") firstTimerAt = notice.at;
    });
    try {
      await polling;
      while (firstTimerAt === 0 && monotonicMs() - spawnAt < 120_000) await sleep(5);
      const backlog = await second.progress();
      const drain = await second.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 600_000 });
      const caughtUpAt = monotonicMs();
      const after = await second.progress();
      const storage = await second.request<StorageReport>({ cmd: "storage", objects: [] });
      const t = second.timings;
      const since = (at: number): number => at - spawnAt;
      const figures = {
        instances: n + OVERDUE,
        pendingTimersAtKill: n + OVERDUE,
        databaseBytesAtKill: storageAtKill,
        logBacklogAtKill: before.appended - before.consumed,
        eventsSentUnderLoad: acked,
        processStartMs: since(t.started ?? spawnAt),
        openDatabaseMs: (t.opened ?? 0) - (t.started ?? 0),
        engineStartMs: (t.engineStarted ?? 0) - (t.opened ?? 0),
        httpListenMs: (t.listening ?? 0) - (t.engineStarted ?? 0),
        servingMs: since(readyAt),
        firstTimerMs: firstTimerAt > 0 ? since(firstTimerAt) : Number.NaN,
        caughtUpMs: since(caughtUpAt),
        backlogAtServing: backlog.appended - backlog.consumed,
        drainMs: drain.elapsedMs,
        appendedBeforeKill: before.appended,
        appendedAfterRestart: after.appended,
        timersPendingAfter: storage.timers,
        timersFiredAfterRestart: after.timersFired,
      };
      const table: Table = {
        title: `recovery: kill -9 with ${num(figures.instances)} active instances and pending timers (${bytes(storageAtKill)} database)`,
        columns: ["from spawn to", "ms"],
        rows: [
          ["process running (node + tsx loading TypeScript)", ms(figures.processStartMs)],
          ["  + open database, migrations", ms(figures.openDatabaseMs)],
          ["  + engine start (offsets, timer horizon)", ms(figures.engineStartMs)],
          ["  + HTTP listening", ms(figures.httpListenMs)],
          ["serving (/readyz 200)", ms(figures.servingMs)],
          [`first timer fired (${num(OVERDUE)} overdue)`, ms(figures.firstTimerMs)],
          [`log backlog caught up (${num(figures.backlogAtServing)} inputs)`, ms(figures.caughtUpMs)],
        ],
        notes: [
          `killed while receiving ${num(LOAD_RATE)} ev/s over HTTP; log backlog at the kill: ${num(figures.logBacklogAtKill)} inputs`,
          `after recovery: ${num(figures.timersFiredAfterRestart)} timers fired, ${num(figures.timersPendingAfter)} pending (30-day waits plus the workload's own)`,
          "serving is measured by polling /readyz every ~2 ms; a compiled build (dist/) starts faster than tsx",
        ],
      };
      return {
        scenario: "recovery",
        mode: quick ? "quick" : "full",
        parameters: { instances: n, users, overdue: OVERDUE, loadRate: LOAD_RATE },
        tables: [table],
        figures,
      } satisfies ScenarioResult;
    } finally {
      await second.stop();
    }
  },
};

function fileSize(file: string): number {
  const size = (f: string): number => (existsSync(f) ? statSync(f).size : 0);
  return size(file) + size(`${file}-wal`);
}
