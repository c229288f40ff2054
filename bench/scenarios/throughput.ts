import { monotonicMs, sleep } from "../lib/clock.js";
import { HttpClient } from "../lib/http-client.js";
import { LatencyHistogram, type LatencySummary } from "../lib/latency-histogram.js";
import type { ScenarioResult } from "../lib/results.js";
import { bytes, ms, num, type Table } from "../lib/table.js";
import type { Progress, StorageReport } from "../server/protocol.js";
import type { ServerProcess } from "../server/server-process.js";
import { Workload } from "../workload.js";
import {
  API_KEY,
  cpuBetween,
  ProgressMonitor,
  publish,
  type Scenario,
  type ScenarioContext,
  seed,
  startServer,
} from "./context.js";

/** One sustained ingest phase, measured over the window after warm-up. */
interface PhaseFigures {
  path: "http" | "in-process";
  windowS: number;
  /** Inputs committed by the executor per second over the window. */
  committedPerS: number;
  /** Events acknowledged (202 / ingest resolved) per second over the window. */
  acceptedPerS: number;
  serverCpuUsPerEvent: number;
  /** Server CPU over the window, in cores (1 = one core busy). */
  serverCores: number;
  clientCpuUsPerEvent: number;
  commitsPerS: number;
  inputsPerCommit: number;
  rssEndBytes: number;
  rssPeakBytes: number;
  /** Per second of the window: inputs committed and RSS. */
  series: { s: number; committed: number; rssBytes: number }[];
  lagAtEnd: number;
  drainS: number;
  requestLatency?: LatencySummary;
  errors: number;
  /** Database growth per input committed during the phase (warm-up included), by table or index. */
  storagePerInput?: { [name: string]: number };
}

interface Sizes {
  users: number;
  warmupS: number;
  windowS: number;
  clients: number;
  batch: number;
  maxLag: number;
}

function sizes(context: ScenarioContext): Sizes {
  const { quick, users, durationS } = context.options;
  return {
    users: users ?? (quick ? 20_000 : 1_000_000),
    warmupS: quick ? 3 : 15,
    windowS: durationS ?? (quick ? 8 : 60),
    clients: quick ? 16 : 32,
    batch: 500,
    maxLag: quick ? 100_000 : 500_000,
  };
}

export const throughput: Scenario = {
  name: "throughput",
  summary: "HTTP batch ingest by many keep-alive clients to committed state; then Engine.ingest in-process",
  async run(context) {
    const s = sizes(context);
    const workload = new Workload({ users: s.users, seed: context.options.seed });
    const phases: PhaseFigures[] = [];
    let published: string[] = [];
    const seedRates: number[] = [];
    // Each path gets a fresh server and database, seeded alike, so neither inherits the other's data.
    for (const path of ["http", "in-process"] as const) {
      const server = await startServer(context, `throughput-${path}.db`, {
        workload: { users: s.users, seed: context.options.seed },
      });
      try {
        published = (await publish(context, server, workload)).published;
        seedRates.push(await seed(context, server, s.users));
        const storageBefore = await server.request<StorageReport>({ cmd: "storage" });
        const before = await server.progress();
        let phase: PhaseFigures;
        if (path === "http") {
          context.log(
            `  HTTP: ${s.clients} clients x ${s.batch} events/request, ${s.warmupS} s warm-up + ${s.windowS} s window`,
          );
          phase = await httpPhase(context, server, workload, s);
        } else {
          context.log(`  in-process: Engine.ingest, ${s.warmupS} s warm-up + ${s.windowS} s window`);
          phase = await inProcessPhase(server, s);
        }
        const storageAfter = await server.request<StorageReport>({ cmd: "storage" });
        const after = await server.progress();
        phase.storagePerInput = growthPerInput(storageBefore, storageAfter, after.consumed - before.consumed);
        phases.push(phase);
      } finally {
        await server.stop();
      }
    }
    const [http] = phases;
    const seedRate = Math.min(...seedRates);
    const table: Table = {
      title: `throughput: ${num(s.users)} users, ${published.length} journeys (${workload.base.origin}), batches of ${s.batch}`,
      columns: [
        "path",
        "committed ev/s",
        "accepted ev/s",
        "server CPU us/ev",
        "server cores",
        "client CPU us/ev",
        "commits/s",
        "inputs/commit",
        "RSS end",
        "RSS peak",
        "lag at end",
        "drain s",
      ],
      rows: phases.map((p) => [
        p.path,
        num(p.committedPerS),
        num(p.acceptedPerS),
        num(p.serverCpuUsPerEvent, 1),
        num(p.serverCores, 2),
        p.path === "http" ? num(p.clientCpuUsPerEvent, 1) : "-",
        num(p.commitsPerS),
        num(p.inputsPerCommit, 1),
        bytes(p.rssEndBytes),
        bytes(p.rssPeakBytes),
        num(p.lagAtEnd),
        num(p.drainS, 1),
      ]),
      notes: [
        `profile seeding through the log: ${num(seedRate)} profiles/s`,
        http?.requestLatency
          ? `HTTP request latency (closed loop, ${s.batch} events each): p50 ${ms(http.requestLatency.p50)} ms, p99 ${ms(http.requestLatency.p99)} ms`
          : "",
        "committed = inputs the executor committed with its offset (durable, synchronous=normal); CPU from process.cpuUsage of the server child",
        "commits/s = store transactions per second (one may hold several partitions' batches); inputs/commit = log entries and timers per transaction",
        `database growth per input: ${storageLine(http?.storagePerInput)}`,
        `event mix: ${workload.noiseNames.length} names no journey knows (~70%), entry/advance events (~20%), exit/goal events (~10%)`,
      ].filter((line) => line.length > 0),
    };
    return {
      scenario: "throughput",
      mode: context.options.quick ? "quick" : "full",
      parameters: {
        ...s,
        journeys: published,
        journeySource: workload.base.origin,
        seed: context.options.seed,
      },
      tables: [table],
      figures: { seedProfilesPerS: seedRate, phases },
    } satisfies ScenarioResult;
  },
};

async function httpPhase(
  context: ScenarioContext,
  server: ServerProcess,
  workload: Workload,
  s: Sizes,
): Promise<PhaseFigures> {
  const client = new HttpClient(server.url, API_KEY, s.clients);
  const monitor = new ProgressMonitor(server);
  await monitor.start();
  const latency = new LatencyHistogram();
  let accepted = 0;
  let errors = 0;
  let stop = false;
  const worker = async (index: number): Promise<void> => {
    const stream = workload.events(1000 + index);
    while (!stop) {
      if (monitor.lag > s.maxLag) {
        await sleep(5);
        continue;
      }
      const body = JSON.stringify({ events: stream.batch(s.batch) });
      const sentAt = monotonicMs();
      const response = await client.post("/v1/events", body).catch(() => ({ status: 0, body: "" }));
      latency.recordMs(monotonicMs() - sentAt);
      if (response.status === 202) accepted += s.batch;
      else {
        errors++;
        if (errors <= 3) context.log(`  ingest answered ${response.status}`);
        await sleep(50);
      }
    }
  };
  const workers = Array.from({ length: s.clients }, (_, i) => worker(i));
  try {
    await sleep(s.warmupS * 1000);
    latency.reset();
    const measured = await measureWindow(monitor, s.windowS, () => accepted);
    stop = true;
    await Promise.all(workers);
    const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 300_000 });
    const clientUs = measured.clientCpuUs;
    return {
      ...measured.figures,
      path: "http",
      clientCpuUsPerEvent: clientUs / Math.max(1, measured.accepted),
      drainS: drain.elapsedMs / 1000,
      requestLatency: latency.summary(),
      errors,
      rssPeakBytes: monitor.peakRss,
    };
  } finally {
    stop = true;
    monitor.stop();
    client.close();
  }
}

async function inProcessPhase(server: ServerProcess, s: Sizes): Promise<PhaseFigures> {
  const monitor = new ProgressMonitor(server);
  await monitor.start();
  // Runs inside the server until stopped; the events it has ingested are read from its progress.
  const driving = server.request<{ ingested: number }>({
    cmd: "drive",
    options: {
      events: 1e12,
      durationMs: 3_600_000,
      batch: s.batch,
      // As many batches in flight as the HTTP clients have, so the executor sees the same backlog.
      concurrency: s.clients,
      maxLag: s.maxLag,
      stream: 5000,
    },
  });
  try {
    await sleep(s.warmupS * 1000);
    const measured = await measureWindow(monitor, s.windowS, (sample) => sample.ingested);
    await server.request({ cmd: "stop-drive" });
    await driving;
    const drain = await server.request<{ elapsedMs: number }>({ cmd: "drain", timeoutMs: 300_000 });
    return {
      ...measured.figures,
      path: "in-process",
      clientCpuUsPerEvent: 0,
      drainS: drain.elapsedMs / 1000,
      errors: 0,
      rssPeakBytes: monitor.peakRss,
    };
  } finally {
    monitor.stop();
    await server.request({ cmd: "stop-drive" }).catch(() => undefined);
  }
}

/** Samples the server at the start and end of the window and derives the rates. */
async function measureWindow(
  monitor: ProgressMonitor,
  windowS: number,
  /** Events accepted so far, as of a sample (HTTP: counted by the clients; in-process: by the server). */
  accepted: (sample: Progress) => number,
): Promise<{
  figures: Omit<PhaseFigures, "path" | "clientCpuUsPerEvent" | "drainS" | "errors" | "rssPeakBytes">;
  accepted: number;
  clientCpuUs: number;
}> {
  const a: Progress = await monitor.sample();
  const acceptedA = accepted(a);
  const clientA = process.cpuUsage();
  monitor.peakRss = a.rssBytes;
  const series: PhaseFigures["series"] = [];
  let previous = a;
  for (let second = 1; second <= windowS; second++) {
    await sleep(a.at + second * 1000 - monotonicMs());
    const sample = await monitor.sample();
    series.push({
      s: second,
      committed: Math.round((sample.consumed - previous.consumed) / ((sample.at - previous.at) / 1000)),
      rssBytes: sample.rssBytes,
    });
    previous = sample;
  }
  const b: Progress = previous;
  const client = process.cpuUsage(clientA);
  const seconds = (b.at - a.at) / 1000;
  const committed = b.consumed - a.consumed;
  const acceptedInWindow = accepted(b) - acceptedA;
  return {
    figures: {
      windowS: seconds,
      committedPerS: committed / seconds,
      acceptedPerS: acceptedInWindow / seconds,
      serverCpuUsPerEvent: cpuBetween(a, b) / Math.max(1, committed),
      serverCores: cpuBetween(a, b) / (seconds * 1e6),
      commitsPerS: (b.commits - a.commits) / seconds,
      inputsPerCommit: (b.batchInputs - a.batchInputs) / Math.max(1, b.commits - a.commits),
      rssEndBytes: b.rssBytes,
      lagAtEnd: b.appended - b.consumed,
      series,
    },
    accepted: acceptedInWindow,
    clientCpuUs: client.user + client.system,
  };
}

function growthPerInput(
  before: StorageReport,
  after: StorageReport,
  inputs: number,
): { [name: string]: number } {
  const out: { [name: string]: number } = {
    file: (after.fileBytes - before.fileBytes) / Math.max(1, inputs),
  };
  for (const [name, size] of Object.entries(after.objects)) {
    const grown = (size - (before.objects[name] ?? 0)) / Math.max(1, inputs);
    if (Math.abs(grown) >= 1) out[name] = Math.round(grown);
  }
  return out;
}

function storageLine(growth: { [name: string]: number } | undefined): string {
  if (!growth) return "-";
  const { file, ...objects } = growth;
  const parts = Object.entries(objects)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, size]) => `${name} ${num(size)} B`);
  return `${num(file ?? 0)} B in all (${parts.join(", ")})`;
}
