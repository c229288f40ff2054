import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

/**
 * Summarises a V8 `.cpuprofile` (node --cpu-prof): self time per function and total (inclusive)
 * time per function, as shares of all samples. A `.heapprofile` (sampling heap profiler, e.g.
 * BENCH_HEAP_SURVIVORS) is summarised the same way, by bytes allocated instead of time.
 *
 * `node --import tsx bench/profile-summary.ts <file.cpuprofile|file.heapprofile> [--top 30] [--focus text]`
 */

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** A sampling heap profile: a tree of allocation sites with the bytes sampled at each. */
interface HeapNode {
  id: number;
  callFrame: CallFrame;
  selfSize: number;
  children: HeapNode[];
}

/** The heap profile's tree as a CPU profile's node list, bytes standing for hits. */
function fromHeapProfile(head: HeapNode): CpuProfile {
  const nodes: ProfileNode[] = [];
  const visit = (node: HeapNode): void => {
    nodes.push({
      id: node.id,
      callFrame: node.callFrame,
      hitCount: node.selfSize,
      children: node.children.map((child) => child.id),
    });
    for (const child of node.children) visit(child);
  };
  visit(head);
  return { nodes, startTime: 0, endTime: 0 };
}

export interface FunctionShare {
  name: string;
  selfShare: number;
  totalShare: number;
}

function label(frame: CallFrame): string {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return name;
  const file = frame.url.replace(/^file:\/\//, "");
  const short = file.includes("node_modules")
    ? file.slice(file.lastIndexOf("node_modules/") + 13)
    : path.relative(process.cwd(), file);
  return `${name} ${short}:${frame.lineNumber + 1}`;
}

/** Self and inclusive shares per function label, sorted by self share. */
export function summarise(profile: CpuProfile): FunctionShare[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const hits = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // Weight each sample by the time until the next one (samples are not evenly spaced).
    for (let i = 0; i < profile.samples.length; i++) {
      const id = profile.samples[i] as number;
      const weight = profile.timeDeltas[i + 1] ?? profile.timeDeltas[i] ?? 0;
      hits.set(id, (hits.get(id) ?? 0) + Math.max(0, weight));
    }
  } else {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
  }
  let total = 0;
  for (const value of hits.values()) total += value;
  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, value] of hits) {
    const node = byId.get(id);
    if (!node || value === 0) continue;
    const name = label(node.callFrame);
    self.set(name, (self.get(name) ?? 0) + value);
    // Each function counts once per stack, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const frame = byId.get(at);
      if (!frame) break;
      const frameName = label(frame.callFrame);
      if (seen.has(frameName)) continue;
      seen.add(frameName);
      inclusive.set(frameName, (inclusive.get(frameName) ?? 0) + value);
    }
  }
  const names = new Set([...self.keys(), ...inclusive.keys()]);
  return [...names]
    .map((name) => ({
      name,
      selfShare: (self.get(name) ?? 0) / total,
      totalShare: (inclusive.get(name) ?? 0) / total,
    }))
    .sort((a, b) => b.selfShare - a.selfShare);
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: "string", default: "30" }, focus: { type: "string" } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const parsed = JSON.parse(readFileSync(file, "utf8")) as CpuProfile | { head: HeapNode };
    const heap = "head" in parsed;
    const profile = heap ? fromHeapProfile(parsed.head) : parsed;
    const shares = summarise(profile);
    if (heap) {
      const bytes = profile.nodes.reduce((sum, node) => sum + (node.hitCount ?? 0), 0);
      process.stdout.write(`${file}: ${(bytes / 2 ** 20).toFixed(1)} MiB sampled\n`);
    } else {
      const seconds = (profile.endTime - profile.startTime) / 1e6;
      process.stdout.write(`${file}: ${seconds.toFixed(1)} s profiled\n`);
    }
    process.stdout.write("self %   total %  function\n");
    for (const share of shares.slice(0, top)) {
      process.stdout.write(`${pct(share.selfShare)}  ${pct(share.totalShare)}  ${share.name}\n`);
    }
    process.stdout.write(`\nby total (inclusive) ${heap ? "bytes" : "time"}:\n`);
    const byTotal = [...shares].sort((a, b) => b.totalShare - a.totalShare);
    const focus = values.focus;
    for (const share of byTotal.filter((s) => !focus || s.name.includes(focus)).slice(0, top)) {
      process.stdout.write(`${pct(share.selfShare)}  ${pct(share.totalShare)}  ${share.name}\n`);
    }
    process.stdout.write("\n");
  }
}

function pct(share: number): string {
  return `${(share * 100).toFixed(1).padStart(6)}%`;
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) main();
