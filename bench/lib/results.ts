import { mkdir, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { CpuShares, Provenance } from "./machine.js";
import type { Table } from "./table.js";

/** bench/results: full runs are committed; quick runs go to bench/results/quick (git-ignored). */
export const RESULTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "results");

export interface ScenarioResult {
  scenario: string;
  /** `quick` or `full`, and the sizes the run used. */
  mode: "quick" | "full";
  parameters: { [name: string]: unknown };
  /** The printed tables. */
  tables: Table[];
  /** The same figures in machine-readable form. */
  figures: { [name: string]: unknown };
}

/** Writes `<scenario>-<timestamp>.json` and `<scenario>-latest.json`; returns the first path. */
export async function writeResult(
  result: ScenarioResult,
  provenance: Provenance,
  startedAt: Date,
  cpu?: CpuShares,
): Promise<string> {
  const dir = result.mode === "quick" ? path.join(RESULTS_DIR, "quick") : RESULTS_DIR;
  await mkdir(dir, { recursive: true });
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
  // Experiment knobs (docs/benchmarks.md) change what a figure means: they travel with it.
  const knobs = Object.fromEntries(Object.entries(process.env).filter(([name]) => name.startsWith("BENCH_")));
  const body = `${JSON.stringify({ ...result, startedAt: startedAt.toISOString(), ...provenance, cpu, knobs }, null, 2)}\n`;
  // A full-size run with knobs set is an experiment: it must not replace the committed -latest figures.
  const experiment = Object.keys(knobs).length > 0 && result.mode === "full";
  const file = path.join(
    experiment ? path.join(dir, "experiments") : dir,
    `${result.scenario}-${stamp}.json`,
  );
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, body);
  if (experiment) return file;
  // Write-then-rename so an interrupted run never leaves a truncated -latest file.
  const latest = path.join(dir, `${result.scenario}-latest.json`);
  await writeFile(`${latest.replace(/\.json$/, "")}.tmp.json`, body);
  await rename(`${latest.replace(/\.json$/, "")}.tmp.json`, latest);
  return file;
}
