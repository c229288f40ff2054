import { execFileSync } from "node:child_process";
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
