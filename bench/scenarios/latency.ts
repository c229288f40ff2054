import type { JourneyDefinition } from "../../src/core/model.js";
import { sleep } from "../lib/clock.js";
import { HttpClient } from "../lib/http-client.js";
import { type LatencySummary, NO_LATENCY } from "../lib/latency-histogram.js";
import { openLoop } from "../lib/open-loop.js";
import { Prng } from "../lib/prng.js";
import type { ScenarioResult } from "../lib/results.js";
import { ms, num, type Table } from "../lib/table.js";
import { WebhookReceiver } from "../lib/webhook-receiver.js";
import type { LatencyReport } from "../server/protocol.js";
import { type ServerProcess, ServerUnresponsiveError } from "../server/server-process.js";
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
      actions: [{ send: { channel: "webhook", content: { probe: "{{ journey.entry.properties._t }}" } } }],
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
      for (const rate of rates) {
        context.log(`  ${num(rate)} events/s open loop: ${warmupS} s warm-up + ${windowS} s measured`);
        try {
          figures.push(await atRate(server, receiver, workload, rate, warmupS, windowS));
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
              `${num(f.rate)}/s: sent ${num(f.sentPerS)} ev/s, ${f.errors} failed requests, sender at worst ${ms(f.maxSendDelayMs)} ms behind schedule, drained ${num(f.drainS, 1)} s after the last send, ${num(f.probesReceived)} of ${num(f.outbox.count)} probes received by the webhook provider`,
          ),
          "webhook provider: the engine's dispatcher posting each probe's webhook to a receiver in the load generator's process",
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
          receiver.latency.reset();
          receiver.since = since;
          await server.request({ cmd: "record", on: true, outboxEvents: ["bench_probe"], since }, 60_000);
        },
      },
    });
    const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 300_000 }, 360_000);
    const report = await server.request<LatencyReport>({ cmd: "latency", reset: true }, 60_000);
    await server.request({ cmd: "record", on: false }, 60_000);
    // Every window probe is in the outbox now: wait until the provider has received them all.
    await waitForProbes(receiver, report.outbox.count, Math.max(15_000, windowS * 2000));
    return {
      rate,
      sentPerS: result.sent / (result.sendingMs / 1000),
      errors: result.errors,
      maxSendDelayMs: result.maxSendDelayMs,
      ack: result.ack.summary(),
      committed: report.committed,
      outbox: report.outbox.count > 0 ? report.outbox : NO_LATENCY,
      provider: receiver.latency.count > 0 ? receiver.latency.summary() : null,
      probesReceived: receiver.latency.count,
      eventLoopDelay: report.eventLoopDelay,
      drainS: drain.elapsedMs / 1000,
    };
  } finally {
    monitor.stop();
    client.close();
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
