import type { JourneyDefinition } from "../../src/core/model.js";
import { HttpClient } from "../lib/http-client.js";
import { type LatencySummary, NO_LATENCY } from "../lib/latency-histogram.js";
import { openLoop } from "../lib/open-loop.js";
import { Prng } from "../lib/prng.js";
import type { ScenarioResult } from "../lib/results.js";
import { ms, num, type Table } from "../lib/table.js";
import type { LatencyReport } from "../server/protocol.js";
import type { BenchEvent } from "../workload.js";
import { Workload } from "../workload.js";
import { API_KEY, ProgressMonitor, publish, type Scenario, seed, startServer } from "./context.js";

/** Entered by probe events; sends on arrival, so each probe puts one delivery in the outbox. */
export const PROBE_JOURNEY: JourneyDefinition = {
  id: "bench-probe",
  name: "Benchmark latency probe",
  entry: { event: "bench_probe", reentry: "always" },
  start: "send",
  nodes: {
    send: {
      actions: [{ send: { channel: "webhook", content: { probe: "{{ user.id }}" } } }],
    },
  },
};

/** Share of the traffic that is probe events (the rest is the workload mix). */
const PROBE_SHARE = 0.05;
/** Probe users get nothing but probes, so a delivery in a batch maps to its probe. */
const PROBE_USERS = 50_000;

interface RateFigures {
  rate: number;
  sentPerS: number;
  errors: number;
  maxSendDelayMs: number;
  /** Intended send time to the 202 (the event is durable in the log). */
  ack: LatencySummary;
  /** Intended send time to the input committed by the executor. */
  committed: LatencySummary;
  /** Intended send time to the probe's delivery committed in the outbox. */
  outbox: LatencySummary;
  /** Intended send time to the webhook provider receiving it: needs a dispatcher. */
  provider: LatencySummary | null;
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
    const rates = [5_000, 20_000];
    const workload = new Workload({ users, seed: context.options.seed });
    const server = await startServer(context, "latency.db", {
      workload: { users, seed: context.options.seed },
    });
    const figures: RateFigures[] = [];
    try {
      const published = await publish(context, server, workload, [PROBE_JOURNEY]);
      await seed(context, server, users);
      for (const rate of rates) {
        context.log(`  ${num(rate)} events/s open loop: ${warmupS} s warm-up + ${windowS} s measured`);
        figures.push(await atRate(server, workload, rate, warmupS, windowS));
      }
      const row = (f: RateFigures, name: string, summary: LatencySummary | null): (string | number)[] => [
        num(f.rate),
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
        columns: ["rate ev/s", "to", "samples", "p50", "p95", "p99", "p99.9", "max"],
        rows: figures.flatMap((f) => [
          row(f, "202 ack (durable in log)", f.ack),
          row(f, "input committed", f.committed),
          row(f, "delivery in outbox", f.outbox),
          row(f, "webhook provider", f.provider),
          row(f, "(server event-loop delay)", f.eventLoopDelay),
        ]),
        notes: [
          ...figures.map(
            (f) =>
              `${num(f.rate)}/s: sent ${num(f.sentPerS)} ev/s, ${f.errors} failed requests, sender at worst ${ms(f.maxSendDelayMs)} ms behind schedule, drained ${num(f.drainS, 1)} s after the last send`,
          ),
          "webhook provider: n/a until a dispatcher exists in src/runtime (deliveries stay queued in the outbox)",
        ],
      };
      return {
        scenario: "latency",
        mode: quick ? "quick" : "full",
        parameters: { users, rates, warmupS, windowS, probeShare: PROBE_SHARE, seed: context.options.seed },
        tables: [table],
        figures: { rates: figures },
      } satisfies ScenarioResult;
    } finally {
      await server.stop();
    }
  },
};

async function atRate(
  server: Awaited<ReturnType<typeof startServer>>,
  workload: Workload,
  rate: number,
  warmupS: number,
  windowS: number,
): Promise<RateFigures> {
  const client = new HttpClient(server.url, API_KEY, 64);
  const monitor = new ProgressMonitor(server, 500);
  await monitor.start();
  const stream = workload.events(7000 + rate);
  const prng = new Prng(rate);
  let probes = 0;
  const event = (): BenchEvent => {
    if (prng.float() < PROBE_SHARE) {
      return { userId: `probe-${probes++ % PROBE_USERS}`, name: "bench_probe", properties: {} };
    }
    return stream.next();
  };
  try {
    const result = await openLoop(client, {
      rate,
      durationMs: (warmupS + windowS) * 1000,
      maxBatch: 1000,
      event,
      mark: {
        atMs: warmupS * 1000,
        run: async (since) => {
          await server.request({ cmd: "record", on: true, outboxEvents: ["bench_probe"], since });
        },
      },
    });
    const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 300_000 });
    const report = await server.request<LatencyReport>({ cmd: "latency", reset: true });
    await server.request({ cmd: "record", on: false });
    return {
      rate,
      sentPerS: result.sent / (result.sendingMs / 1000),
      errors: result.errors,
      maxSendDelayMs: result.maxSendDelayMs,
      ack: result.ack.summary(),
      committed: report.committed,
      outbox: report.outbox.count > 0 ? report.outbox : NO_LATENCY,
      provider: null,
      eventLoopDelay: report.eventLoopDelay,
      drainS: drain.elapsedMs / 1000,
    };
  } finally {
    monitor.stop();
    client.close();
  }
}
