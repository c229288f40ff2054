import { openSync, readSync, statSync, writeFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";

interface Segment {
  name: string;
  /** performance.now() at its start, ms. */
  at: number;
  ms: number;
  /** Loop gaps: of `ms`, the time the thread ran and the time it waited for a core (Linux schedstat). */
  cpuMs?: number;
  runqueueMs?: number;
}

/**
 * Diagnostics for latency tails (BENCH_TRACE_STALLS=<file.json>): which synchronous pieces of
 * work hold the server's one thread, and for how long. Wraps the methods of the store, the log,
 * the dispatcher... (SQLite answers synchronously, so a call's synchronous part is its cost),
 * and records every call of at least `thresholdMs`, beside garbage-collection pauses and gaps in
 * a 1 ms event-loop tick. Optionally counts the WAL bytes each call wrote. Written to the file
 * when a measured window ends: per name, how many calls passed 5/20/50 ms; totals; segments.
 */
export class StallTrace {
  private readonly segments: Segment[] = [];
  private readonly totals = new Map<string, { calls: number; ms: number }>();
  private readonly walBytes = new Map<string, { calls: number; bytes: number }>();
  /** Calls in progress: a call made inside another is recorded indented, not counted twice as outer. */
  private depth = 0;
  /** The WAL file, to count the bytes each call appended to it (the WAL must only grow). */
  walFile: string | undefined;

  constructor(
    private readonly file: string,
    private readonly thresholdMs = 5,
  ) {
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.record(`gc:${gcKindName(kind)}`, entry.startTime, entry.duration);
      }
    }).observe({ entryTypes: ["gc"] });
  }

  /**
   * Records gaps of more than 15 ms between ticks of a 1 ms interval: the loop was held. Where
   * Linux reports it, each gap says how long the thread ran (our code, GC included) and how long
   * it was runnable but waited for a core; the rest it was blocked (I/O, page faults, locks).
   */
  watchEventLoop(): void {
    const sched = threadSchedstat();
    let last = performance.now();
    let before = sched?.() ?? [0, 0];
    setInterval(() => {
      const now = performance.now();
      const after = sched?.() ?? [0, 0];
      if (now - last > 15) {
        this.record("loop.gap", last, now - last);
        const segment = this.segments[this.segments.length - 1];
        if (sched && segment?.name === "loop.gap") {
          segment.cpuMs = (after[0] - before[0]) / 1e6;
          segment.runqueueMs = (after[1] - before[1]) / 1e6;
        }
      }
      last = now;
      before = after;
    }, 1).unref();
  }

  /** Wraps the named methods of `target` (default: all, own or inherited), timing their synchronous part. */
  wrap(label: string, target: object, names?: readonly string[]): void {
    const methods = target as Record<string, unknown>;
    for (const name of names ?? methodNames(target)) {
      const original = methods[name];
      if (typeof original !== "function") continue;
      const trace = this;
      methods[name] = function (this: unknown, ...args: unknown[]) {
        const outer = trace.depth === 0;
        const walBefore = outer && trace.walFile ? fileSize(trace.walFile) : -1;
        const started = performance.now();
        trace.depth++;
        try {
          return (original as (...a: unknown[]) => unknown).apply(this, args);
        } finally {
          trace.depth--;
          const key = `${label}.${name}`;
          trace.record(outer ? key : `  ${key}`, started, performance.now() - started);
          if (walBefore >= 0) trace.noteWal(key, fileSize(trace.walFile as string) - walBefore);
        }
      };
    }
  }

  record(name: string, at: number, ms: number): void {
    const total = tally(this.totals, name, () => ({ calls: 0, ms: 0 }));
    total.calls++;
    total.ms += ms;
    if (ms >= this.thresholdMs) this.segments.push({ name, at, ms });
  }

  reset(): void {
    this.segments.length = 0;
    this.totals.clear();
    this.walBytes.clear();
  }

  write(): void {
    const byName = new Map<
      string,
      { over5: number; over20: number; over50: number; ms: number; max: number }
    >();
    for (const segment of this.segments) {
      const entry = tally(byName, segment.name, () => ({ over5: 0, over20: 0, over50: 0, ms: 0, max: 0 }));
      entry.over5++;
      if (segment.ms >= 20) entry.over20++;
      if (segment.ms >= 50) entry.over50++;
      entry.ms += segment.ms;
      entry.max = Math.max(entry.max, segment.ms);
    }
    const gaps = this.segments.filter((segment) => segment.name === "loop.gap");
    const sum = (pick: (segment: Segment) => number | undefined): number =>
      gaps.reduce((total, segment) => total + (pick(segment) ?? 0), 0);
    const body = {
      byName: Object.fromEntries(byName),
      loopGaps: { ms: sum((g) => g.ms), cpuMs: sum((g) => g.cpuMs), runqueueMs: sum((g) => g.runqueueMs) },
      totals: Object.fromEntries([...this.totals].sort((a, b) => b[1].ms - a[1].ms)),
      wal: Object.fromEntries([...this.walBytes].filter(([, w]) => w.bytes > 0)),
      segments: this.segments,
    };
    writeFileSync(this.file, JSON.stringify(body, null, 1));
  }

  private noteWal(name: string, bytes: number): void {
    const wal = tally(this.walBytes, name, () => ({ calls: 0, bytes: 0 }));
    wal.calls++;
    wal.bytes += bytes;
  }
}

/**
 * Reads the main thread's [ns on a core, ns runnable but waiting for one] from
 * /proc/self/task/<pid>/schedstat; undefined where the file is missing or reports nothing.
 */
export function threadSchedstat(): (() => [number, number]) | undefined {
  let fd: number;
  try {
    fd = openSync(`/proc/self/task/${process.pid}/schedstat`, "r");
  } catch {
    return undefined;
  }
  const buffer = Buffer.alloc(128);
  const read = (): [number, number] => {
    const text = buffer.toString("latin1", 0, readSync(fd, buffer, 0, buffer.length, 0));
    const [cpu = "0", wait = "0"] = text.split(" ");
    return [Number(cpu), Number(wait)];
  };
  return read()[0] > 0 ? read : undefined;
}

/** The map's entry for `key`, created with `make` when missing. */
function tally<V>(map: Map<string, V>, key: string, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function fileSize(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function methodNames(target: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = target; o && o !== Object.prototype; o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) if (name !== "constructor") names.add(name);
  }
  return [...names].filter((name) => typeof (target as Record<string, unknown>)[name] === "function");
}

/** Node's name for a GC pause's kind (its perf_hooks constants: 1 minor, 4 major, 8 incremental, 16 weak callbacks). */
function gcKindName(kind: number): string {
  switch (kind) {
    case constants.NODE_PERFORMANCE_GC_MINOR:
      return "scavenge";
    case constants.NODE_PERFORMANCE_GC_MAJOR:
      return "mark-compact";
    case constants.NODE_PERFORMANCE_GC_INCREMENTAL:
      return "incremental";
    case constants.NODE_PERFORMANCE_GC_WEAKCB:
      return "weak-callbacks";
    default:
      return String(kind);
  }
}
