import type { JourneyDefinition } from "../../src/core/model.js";
import { monotonicMs, sleep } from "../lib/clock.js";
import { HttpClient } from "../lib/http-client.js";
import { type LatencySummary, NO_LATENCY } from "../lib/latency-histogram.js";
import { latencyEvents, PROBE_SHARE } from "../lib/latency-mix.js";
import { httpSender, type OpenLoopSummary, openLoop, summarizeOpenLoop } from "../lib/open-loop.js";
import type { ScenarioResult } from "../lib/results.js";
import { ms, num, type Table } from "../lib/table.js";
import { WebhookReceiver } from "../lib/webhook-receiver.js";
import type { LatencyReport, Progress } from "../server/protocol.js";
import { type ServerProcess, ServerUnresponsiveError } from "../server/server-process.js";
import { Workload } from "../workload.js";
import {
  API_KEY,
  cpuBetween,
  ProgressMonitor,
  publish,
  type Scenario,
  seed,
  startServer,
} from "./context.js";

/** Entered by probe events; sends on arrival, so each probe puts one delivery in the outbox. */
export const PROBE_JOURNEY: JourneyDefinition = {
  id: "bench-probe",
  name: "Benchmark latency probe",
  entry: { event: "bench_probe", reentry: "always" },
  start: "send",
  nodes: {
    send: {
      actions: [{ send: { channel: "webhook", content: { probe: "{{ journey.entry.properties._t }}" } } }],
    },
  },
};

/**
 * How the events reach the engine: over HTTP from the load generator, or in the server's own
 * process (`Engine.ingest`, no HTTP on the engine's thread), to show what HTTP costs the tail.
 */
type Path = "http" | "in-process";

interface RateFigures {
  rate: number;
  path: Path;
  sentPerS: number;
  errors: number;
  maxSendDelayMs: number;
  /** Intended send time to the request leaving the load generator (its own lateness). */
  send: LatencySummary;
  /**
   * The server over the measured window (mark to the last answer): CPU per input it committed,
   * cores it used, its commits; and the load generator's cores on the same machine.
   */
  server: {
    cpuUsPerInput: number;
    cores: number;
    /** Share of the window the server's main thread ran (the engine's thread), where Linux reports it. */
    mainThreadBusy?: number | undefined;
    commitsPerS: number;
    inputsPerCommit: number;
  };
  clientCores: number;
  /** Intended send time to the 202 (the event is durable in the log). */
  ack: LatencySummary;
  /** Intended send time to the input committed by the executor. */
  committed: LatencySummary;
  /** Intended send time to the probe's delivery committed in the outbox. */
  outbox: LatencySummary;
  /** Intended send time to the webhook provider receiving it: needs a dispatcher. */
  provider: LatencySummary | null;
  /** Probe webhooks the receiver got (of the probes committed to the outbox in the window). */
  probesReceived: number;
  /** The server's event-loop delay during the window: how long ready callbacks (HTTP, group commit) waited. */
  eventLoopDelay: LatencySummary;
  drainS: number;
}

export const latency: Scenario = {
  name: "latency",
  summary: "open loop at 5k/s and 20k/s: intended send time to ack, to committed, to delivery in the outbox",
  async run(context) {
    const { quick } = context.options;
    const users = context.options.users ?? (quick ? 20_000 : 1_000_000);
    const warmupS = quick ? 2 : 10;
    const windowS = context.options.durationS ?? (quick ? 6 : 60);
    // BENCH_RATES=5000: only some of the rates (experiments).
    const rates = process.env.BENCH_RATES ? process.env.BENCH_RATES.split(",").map(Number) : [5_000, 20_000];
    const workload = new Workload({ users, seed: context.options.seed });
    const receiver = new WebhookReceiver();
    const webhookUrl = await receiver.start();
    const server = await startServer(context, "latency.db", {
      workload: { users, seed: context.options.seed },
      dispatcher: true,
      webhookUrl,
    });
    const figures: RateFigures[] = [];
    const failures: string[] = [];
    try {
      const published = await publish(context, server, workload, [PROBE_JOURNEY]);
      await seed(context, server, users);
      // In-process at the first rate only (5k/s by default): the one the engine keeps up with.
      const runs: { rate: number; path: Path }[] = [
        ...rates.map((rate) => ({ rate, path: "http" as const })),
        ...rates.slice(0, 1).map((rate) => ({ rate, path: "in-process" as const })),
      ];
      for (const { rate, path } of runs) {
        context.log(
          `  ${num(rate)} events/s open loop (${path}): ${warmupS} s warm-up + ${windowS} s measured`,
        );
        try {
          figures.push(await atRate(server, receiver, workload, rate, path, warmupS, windowS));
        } catch (error) {
          // A server that stops answering is a finding to report, not a reason to lose the other figures.
          if (!(error instanceof ServerUnresponsiveError)) throw error;
          failures.push(`${num(rate)}/s: ${error.message}; the server was killed (see docs/benchmarks.md)`);
          context.log(`  ${failures[failures.length - 1]}`);
          break;
        }
      }
      const row = (f: RateFigures, name: string, summary: LatencySummary | null): (string | number)[] => [
        num(f.rate),
        f.path,
        name,
        summary ? num(summary.count) : "-",
        summary ? ms(summary.p50) : "n/a",
        summary ? ms(summary.p95) : "n/a",
        summary ? ms(summary.p99) : "n/a",
        summary ? ms(summary.p999) : "n/a",
        summary ? ms(summary.max) : "n/a",
      ];
      const table: Table = {
        title: `latency (ms from the intended send time): ${num(users)} users, ${published.published.length} journeys, ${PROBE_SHARE * 100}% probes`,
        columns: ["rate ev/s", "path", "to", "samples", "p50", "p95", "p99", "p99.9", "max"],
        rows: figures.flatMap((f) => [
          row(f, f.path === "http" ? "202 ack (durable in log)" : "ingest resolved (durable in log)", f.ack),
          row(f, "input committed", f.committed),
          row(f, "delivery in outbox", f.outbox),
          row(f, "webhook provider", f.provider),
          row(f, "(server event-loop delay)", f.eventLoopDelay),
          row(f, "(sender lateness)", f.send),
        ]),
        notes: [
          ...figures.map(
            (f) =>
              `${num(f.rate)}/s ${f.path}: sent ${num(f.sentPerS)} ev/s, ${f.errors} failed requests, sender at worst ${ms(f.maxSendDelayMs)} ms behind schedule, drained ${num(f.drainS, 1)} s after the last send, ${num(f.probesReceived)} of ${num(f.outbox.count)} probes received by the webhook provider`,
          ),
          ...figures.map(
            (f) =>
              `${num(f.rate)}/s ${f.path}: server ${num(f.server.cpuUsPerInput, 1)} µs CPU per input committed, ${num(f.server.cores, 2)} cores${f.server.mainThreadBusy !== undefined ? ` (main thread busy ${num(f.server.mainThreadBusy * 100, 1)}%)` : ""}, ${num(f.server.commitsPerS)} commits/s of ${num(f.server.inputsPerCommit, 1)} inputs; load generator ${num(f.clientCores, 2)} cores`,
          ),
          "webhook provider: the engine's dispatcher posting each probe's webhook to a receiver in the load generator's process",
          "sender lateness: intended send time to the request leaving the load generator (http; it shares the machine's cores with the server) or to the ingest call (in-process); every other row includes it",
          "in-process: the same open loop and events run in the server's process, calling Engine.ingest (no HTTP on the engine's thread; the load generator's work is on it instead), at the first rate only",
          ...failures.map((failure) => `FAILED at ${failure}`),
        ],
      };
      return {
        scenario: "latency",
        mode: quick ? "quick" : "full",
        parameters: { users, rates, warmupS, windowS, probeShare: PROBE_SHARE, seed: context.options.seed },
        tables: [table],
        figures: { rates: figures, failures },
      } satisfies ScenarioResult;
    } finally {
      await server.stop(failures.length > 0 ? 1000 : 30_000);
      await receiver.stop();
    }
  },
};

async function atRate(
  server: ServerProcess,
  receiver: WebhookReceiver,
  workload: Workload,
  rate: number,
  path: Path,
  warmupS: number,
  windowS: number,
): Promise<RateFigures> {
  const client = path === "http" ? new HttpClient(server.url, API_KEY, 64) : undefined;
  const monitor = new ProgressMonitor(server, 500);
  await monitor.start();
  let atMark: { progress: Progress; clientCpu: NodeJS.CpuUsage; at: number } | undefined;
  // At the mark: the provider's figures start over, the server starts recording (over HTTP the
  // sender waits for it, so nothing due after the mark is committed unrecorded), and the server's
  // CPU and commits are sampled without holding the sender up.
  const onMark = async (since: number): Promise<void> => {
    receiver.latency.reset();
    receiver.since = since;
    const clientCpu = process.cpuUsage();
    monitor.sample().then(
      (progress) => {
        atMark = { progress, clientCpu, at: performance.now() };
      },
      () => undefined,
    );
    if (path === "http")
      await server.request({ cmd: "record", on: true, outboxEvents: ["bench_probe"], since }, 60_000);
  };
  let markTimer: NodeJS.Timeout | undefined;
  try {
    let result: OpenLoopSummary;
    if (client) {
      const loop = await openLoop(httpSender(client), {
        rate,
        durationMs: (warmupS + windowS) * 1000,
        maxBatch: 1000,
        event: latencyEvents(workload, rate, "http"),
        mark: { atMs: warmupS * 1000, run: onMark },
      });
      result = summarizeOpenLoop(loop);
    } else {
      // The server runs the loop and starts its recording at the mark; this process follows the clock.
      const startAt = monotonicMs() + 200;
      const markAt = startAt + warmupS * 1000;
      markTimer = setTimeout(() => void onMark(markAt), markAt - monotonicMs());
      result = await server.request<OpenLoopSummary>(
        {
          cmd: "open-loop",
          rate,
          startAt,
          warmupMs: warmupS * 1000,
          windowMs: windowS * 1000,
          outboxEvents: ["bench_probe"],
        },
        (warmupS + windowS) * 1000 + 600_000,
      );
    }
    const end = await monitor.sample();
    const clientCpu = atMark ? process.cpuUsage(atMark.clientCpu) : { user: 0, system: 0 };
    const windowUs = atMark ? (performance.now() - atMark.at) * 1000 : 0;
    const a = atMark?.progress ?? end;
    const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 300_000 }, 360_000);
    const report = await server.request<LatencyReport>({ cmd: "latency", reset: true }, 60_000);
    await server.request({ cmd: "record", on: false }, 60_000);
    // Every window probe is in the outbox now: wait until the provider has received them all.
    await waitForProbes(receiver, report.outbox.count, Math.max(15_000, windowS * 2000));
    return {
      rate,
      path,
      sentPerS: result.sent / (result.sendingMs / 1000),
      errors: result.errors,
      maxSendDelayMs: result.maxSendDelayMs,
      send: result.send,
      server: {
        cpuUsPerInput: cpuBetween(a, end) / Math.max(1, end.consumed - a.consumed),
        cores: cpuBetween(a, end) / Math.max(1, (end.at - a.at) * 1000),
        mainThreadBusy:
          a.mainThreadCpuNs !== undefined && end.mainThreadCpuNs !== undefined
            ? (end.mainThreadCpuNs - a.mainThreadCpuNs) / Math.max(1, (end.at - a.at) * 1e6)
            : undefined,
        commitsPerS: (end.commits - a.commits) / Math.max(0.001, (end.at - a.at) / 1000),
        inputsPerCommit: (end.batchInputs - a.batchInputs) / Math.max(1, end.commits - a.commits),
      },
      clientCores: windowUs > 0 ? (clientCpu.user + clientCpu.system) / windowUs : 0,
      ack: result.ack,
      committed: report.committed,
      outbox: report.outbox.count > 0 ? report.outbox : NO_LATENCY,
      provider: receiver.latency.count > 0 ? receiver.latency.summary() : null,
      probesReceived: receiver.latency.count,
      eventLoopDelay: report.eventLoopDelay,
      drainS: drain.elapsedMs / 1000,
    };
  } finally {
    if (markTimer) clearTimeout(markTimer);
    monitor.stop();
    client?.close();
  }
}

/**
 * Waits (at most `maxMs`) until the receiver has recorded `expected` window probes. Counting
 * every webhook instead ended the wait early once the workload's own webhooks and the warm-up's
 * probes made up the number: at 20k/s the row then held the first ~59% of the probes to arrive.
 */
async function waitForProbes(receiver: WebhookReceiver, expected: number, maxMs: number): Promise<void> {
  const deadline = Date.now() + maxMs;
  while (Date.now() < deadline && receiver.latency.count < expected) await sleep(100);
}
