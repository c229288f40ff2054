import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import os from "node:os";

/** Where a figure was measured: the machine and the code. */
export interface Provenance {
  machine: {
    cores: number;
    cpuModel: string;
    totalMemoryBytes: number;
    node: string;
    os: string;
    /** 1, 5 and 15 minute load averages when the run started: other work on the machine skews figures. */
    loadAverage: number[];
  };
  git: { commit: string; dirty: boolean };
}

/** The machine and the git commit the benchmark runs on. */
export function provenance(): Provenance {
  const cpus = os.cpus();
  return {
    machine: {
      cores: os.availableParallelism?.() ?? cpus.length,
      cpuModel: cpus[0]?.model.trim() ?? "unknown",
      totalMemoryBytes: os.totalmem(),
      node: process.version,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      loadAverage: os.loadavg().map((load) => Math.round(load * 100) / 100),
    },
    git: gitState(),
  };
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync("git", ["rev-parse", "HEAD"], { encoding: "utf8" }).trim();
    const status = execFileSync("git", ["status", "--porcelain"], { encoding: "utf8" });
    return { commit, dirty: status.trim().length > 0 };
  } catch {
    return { commit: "unknown", dirty: true };
  }
}

/** The machine's CPU time so far by kind, in clock ticks summed over cores (Linux `/proc/stat`). */
export interface CpuTimes {
  busy: number;
  iowait: number;
  steal: number;
  total: number;
}

/** The machine-wide CPU counters now; undefined where `/proc/stat` cannot be read. */
export function cpuTimes(): CpuTimes | undefined {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((n) => !Number.isFinite(n))) return undefined;
    const [u = 0, n = 0, s = 0, i = 0, w = 0, q = 0, sq = 0, st = 0] = ticks;
    return { busy: u + n + s + q + sq, iowait: w, steal: st, total: u + n + s + i + w + q + sq + st };
  } catch {
    return undefined;
  }
}

/**
 * How the machine's CPU time went between two readings, in percent of all of it: busy (this run
 * and anything else), waiting for disk, and stolen by the hypervisor for other guests. A VM's
 * figures move with the steal: runs compared side by side should show similar steal.
 */
export interface CpuShares {
  busyPct: number;
  iowaitPct: number;
  stealPct: number;
}

export function cpuShares(from: CpuTimes | undefined, to: CpuTimes | undefined): CpuShares | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  const total = to.total - from.total;
  const pct = (a: number, b: number) => Math.round(((b - a) / total) * 1000) / 10;
  return {
    busyPct: pct(from.busy, to.busy),
    iowaitPct: pct(from.iowait, to.iowait),
    stealPct: pct(from.steal, to.steal),
  };
}
