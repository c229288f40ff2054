import { statSync, writeFileSync } from "node:fs";
import { PerformanceObserver } from "node:perf_hooks";

interface Segment {
  name: string;
  /** performance.now() at its start, ms. */
  at: number;
  ms: number;
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
        // kind 1: scavenge; 2: mark-sweep-compact; 4: incremental marking; 8: weak callbacks.
        const kind = (entry as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
        this.record(`gc:${kind}`, entry.startTime, entry.duration);
      }
    }).observe({ entryTypes: ["gc"] });
  }

  /** Records gaps of more than 15 ms between ticks of a 1 ms interval: the loop was held. */
  watchEventLoop(): void {
    let last = performance.now();
    setInterval(() => {
      const now = performance.now();
      if (now - last > 15) this.record("loop.gap", last, now - last);
      last = now;
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
    const body = {
      byName: Object.fromEntries(byName),
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
