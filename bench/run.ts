import path from "node:path";
import { parseArgs } from "node:util";
import { cpuShares, cpuTimes, provenance } from "./lib/machine.js";
import { RESULTS_DIR, type ScenarioResult, writeResult } from "./lib/results.js";
import { renderTable } from "./lib/table.js";
import { type RunOptions, type Scenario, type ScenarioContext, scratchDir } from "./scenarios/context.js";
import { latency } from "./scenarios/latency.js";
import { peerBullmq } from "./scenarios/peer-bullmq.js";
import { recovery } from "./scenarios/recovery.js";
import { throughput } from "./scenarios/throughput.js";
import { timers } from "./scenarios/timers.js";

/**
 * `npm run bench [scenario...] [--quick] [--users N] [--duration S] [--profile]`
 *
 * Runs the scenarios in order (all by default), prints a table per scenario and writes JSON
 * to bench/results (full runs) or bench/results/quick (--quick). Figures are reported, never
 * asserted.
 */

const SCENARIOS: readonly Scenario[] = [throughput, latency, timers, peerBullmq, recovery];

const USAGE = `usage: npm run bench -- [scenario ...] [--quick] [--users N] [--duration S] [--seed N] [--partitions N] [--profile]
scenarios: ${SCENARIOS.map((s) => s.name).join(", ")} (default: all, in that order)
  --quick       every scenario small (the whole suite in under 3 minutes on 2 cores)
  --users N     users in the workload (default 1,000,000; quick 20,000)
  --duration S  measured window of sustained phases in seconds (default 60; quick 8)
  --partitions N  engine partitions (default 64)
  --profile     write V8 CPU profiles of the server to bench/results/profiles
${SCENARIOS.map((s) => `  ${s.name.padEnd(12)} ${s.summary}`).join("\n")}`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      quick: { type: "boolean", default: false },
      users: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      partitions: { type: "string" },
      profile: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const unknown = positionals.filter((name) => !SCENARIOS.some((s) => s.name === name));
  if (unknown.length > 0) {
    process.stderr.write(`unknown scenario ${unknown.join(", ")}\n${USAGE}\n`);
    return 2;
  }
  const selected =
    positionals.length === 0 ? SCENARIOS : SCENARIOS.filter((s) => positionals.includes(s.name));
  const options: RunOptions = {
    quick: values.quick,
    users: positiveInt(values.users, "--users"),
    durationS: positiveInt(values.duration, "--duration"),
    seed: positiveInt(values.seed, "--seed") ?? 20_240_601,
    partitions: positiveInt(values.partitions, "--partitions") ?? 64,
    profileDir: values.profile ? path.join(RESULTS_DIR, "profiles") : undefined,
  };
  const where = provenance();
  const m = where.machine;
  process.stdout.write(
    `Journeys benchmarks (${options.quick ? "quick" : "full"}) on ${m.cores} cores, ${m.cpuModel}, ` +
      `${(m.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, Node ${m.node}, ${m.os}; ` +
      `commit ${where.git.commit.slice(0, 12)}${where.git.dirty ? " (dirty tree)" : ""}\n\n`,
  );
  const earlier = new Map<string, ScenarioResult>();
  let failed = 0;
  for (const scenario of selected) {
    const started = new Date();
    // Taken before each scenario: the load average then shows whether something else was running.
    const machine = provenance();
    const scratch = scratchDir(scenario.name);
    const context: ScenarioContext = {
      options,
      scenario: scenario.name,
      dir: scratch.dir,
      earlier,
      log: (line) => process.stderr.write(`${line}\n`),
    };
    process.stderr.write(`[${scenario.name}] ${scenario.summary}\n`);
    const cpuBefore = cpuTimes();
    try {
      const result = await scenario.run(context);
      earlier.set(scenario.name, result);
      for (const table of result.tables) process.stdout.write(`${renderTable(table)}\n\n`);
      const cpu = cpuShares(cpuBefore, cpuTimes());
      const file = await writeResult(result, machine, started, cpu);
      const seconds = ((Date.now() - started.getTime()) / 1000).toFixed(0);
      const shares = cpu
        ? ` (machine CPU: ${cpu.busyPct}% busy, ${cpu.iowaitPct}% waiting for disk, ${cpu.stealPct}% stolen by the hypervisor)`
        : "";
      process.stderr.write(
        `[${scenario.name}] done in ${seconds} s${shares} -> ${path.relative(process.cwd(), file)}\n\n`,
      );
    } catch (error) {
      failed++;
      process.stderr.write(`[${scenario.name}] FAILED: ${(error as Error).stack ?? String(error)}\n\n`);
    } finally {
      scratch.remove();
    }
  }
  return failed > 0 ? 1 : 0;
}

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.replace(/_/g, ""));
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} takes a positive integer, got ${value}`);
  return n;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
