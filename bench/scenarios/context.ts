import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { JourneyDefinition } from "../../src/core/model.js";
import type { ScenarioResult } from "../lib/results.js";
import type { Notice, Progress, ServerConfig, SetupResult } from "../server/protocol.js";
import { ServerProcess } from "../server/server-process.js";
import type { Workload } from "../workload.js";

/** Options of one `npm run bench` invocation. */
export interface RunOptions {
  quick: boolean;
  /** --users N (default 1M, quick 20k). */
  users: number | undefined;
  /** --duration S: the measured window of sustained scenarios. */
  durationS: number | undefined;
  /** --profile: write CPU profiles of the server (node --cpu-prof) to bench/results/profiles. */
  profileDir: string | undefined;
  seed: number;
  /** --partitions N: the engine's partition count (default 64, as `journeys serve`). */
  partitions: number;
}

/** What a scenario gets: the options, a scratch directory, and results of earlier scenarios of the same run. */
export interface ScenarioContext {
  options: RunOptions;
  /** The running scenario's name. */
  scenario: string;
  /** Scratch directory for this scenario's databases (removed afterwards). */
  dir: string;
  /** Progress lines (stderr). */
  log(line: string): void;
  /** Results of scenarios that already ran in this invocation, by name. */
  earlier: Map<string, ScenarioResult>;
}

export interface Scenario {
  name: string;
  /** One line on what it measures. */
  summary: string;
  run(context: ScenarioContext): Promise<ScenarioResult>;
}

export const PROJECT = "bench";
export const API_KEY = "jrn_bench_0123456789abcdefghijklmnopqrstuvwxyzABCDE";

export function scratchDir(name: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `journeys-bench-${name}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts a server child on a database in the scenario's scratch directory (profiled with --profile). */
export function startServer(
  context: ScenarioContext,
  file: string,
  overrides: Partial<ServerConfig> & Pick<ServerConfig, "workload">,
  onNotice?: (notice: Notice) => void,
): Promise<ServerProcess> {
  const config: ServerConfig = {
    dbPath: path.join(context.dir, file),
    partitions: context.options.partitions,
    project: PROJECT,
    apiKey: API_KEY,
    ...overrides,
  };
  return ServerProcess.start(
    config,
    {
      cpuProfileDir: context.options.profileDir
        ? path.join(context.options.profileDir, `${context.scenario}-${file.replace(/\.db$/, "")}`)
        : undefined,
      onError: (message) => context.log(`  server error: ${message.split("\n").slice(0, 3).join(" | ")}`),
    },
    onNotice,
  );
}

/** Publishes the workload's journeys (plus `extra`) and fails loudly when none could be published. */
export async function publish(
  context: ScenarioContext,
  server: ServerProcess,
  workload: Workload | undefined,
  extra: JourneyDefinition[] = [],
): Promise<SetupResult> {
  const result = await server.request<SetupResult>({
    cmd: "setup",
    journeys: [...(workload?.journeys.map((j) => j.definition) ?? []), ...extra],
    templates: [...(workload?.base.templates ?? [])],
    segments: [...(workload?.base.segments ?? [])],
  });
  for (const failure of result.failed)
    context.log(`  not published: ${failure.id}: ${failure.error.slice(0, 300)}`);
  if (result.published.length === 0) throw new Error("no journey could be published");
  return result;
}

/** Seeds user profiles through the engine; returns profiles per second. */
export async function seed(context: ScenarioContext, server: ServerProcess, users: number): Promise<number> {
  context.log(`  seeding ${users.toLocaleString("en-US")} user profiles...`);
  const { elapsedMs } = await server.request<{ elapsedMs: number }>({
    cmd: "seed-users",
    from: 0,
    count: users,
    batch: 1000,
  });
  const rate = users / (elapsedMs / 1000);
  context.log(
    `  seeded in ${(elapsedMs / 1000).toFixed(1)} s (${Math.round(rate).toLocaleString("en-US")} profiles/s)`,
  );
  return rate;
}

/**
 * Polls the server's progress a few times per second: the latest sample (for backpressure)
 * and the peak RSS seen.
 */
export class ProgressMonitor {
  latest: Progress | undefined;
  peakRss = 0;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly server: ServerProcess,
    private readonly intervalMs = 200,
  ) {}

  async start(): Promise<Progress> {
    const first = await this.sample();
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.sample()
        .catch(() => undefined)
        .finally(() => {
          this.busy = false;
        });
    }, this.intervalMs);
    return first;
  }

  /** Inputs appended but not yet committed, as of the latest sample. */
  get lag(): number {
    return this.latest ? this.latest.appended - this.latest.consumed : 0;
  }

  async sample(): Promise<Progress> {
    const progress = await this.server.progress();
    this.latest = progress;
    this.peakRss = Math.max(this.peakRss, progress.rssBytes);
    return progress;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
}

/** Server CPU between two samples, in microseconds. */
export function cpuBetween(a: Progress, b: Progress): number {
  return b.cpuUserUs + b.cpuSystemUs - (a.cpuUserUs + a.cpuSystemUs);
}
