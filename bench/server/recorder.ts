import { type IntervalHistogram, monitorEventLoopDelay } from "node:perf_hooks";
import type { BatchReport } from "../../src/runtime/executor.js";
import type { CommitBatch } from "../../src/store/types.js";
import { epochMs, monotonicMs } from "../lib/clock.js";
import { LatencyHistogram } from "../lib/latency-histogram.js";
import type { LatencyReport } from "./protocol.js";

/**
 * What the server child measures from inside the engine: end-to-end latencies of inputs the
 * client stamped with their intended send time (`properties._t`, monotonic ms), deliveries
 * committed to the outbox, and timer lateness. Hooked to the executor's `onBatch`, the timer
 * service's `onFire`, and the store's `commit`.
 */
export class Recorder {
  recording = false;
  timersFired = 0;
  /** Executor batches committed, and the log entries and timers they held. */
  batches = 0;
  batchInputs = 0;
  /** Store transactions (a commit may hold the batches of several partitions). */
  commits = 0;
  private readonly committed = new LatencyHistogram();
  private readonly outbox = new LatencyHistogram();
  private readonly timerFired = new LatencyHistogram();
  private readonly timerCommitted = new LatencyHistogram();
  /** Users that got a delivery in the last commit (the executor commits one group of batches at a time). */
  private readonly delivered = new Set<string>();
  private window = { first: 0, last: 0, count: 0 };
  /** How long callbacks waited for the event loop (the executor runs on it too). */
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 1 });
  private firstTimerNoticed = false;

  constructor(private readonly onFirstTimer: (at: number) => void) {}

  /** Event names whose deliveries count for the outbox latency (all when empty). */
  private outboxEvents = new Set<string>();

  /** Inputs stamped before this monotonic time are not recorded (sent during warm-up). */
  private since = 0;

  start(outboxEvents: readonly string[] = [], since = 0): void {
    this.reset();
    this.outboxEvents = new Set(outboxEvents);
    this.since = since;
    this.recording = true;
    this.loopDelay.enable();
  }

  stop(): void {
    this.recording = false;
    this.loopDelay.disable();
  }

  reset(): void {
    this.committed.reset();
    this.outbox.reset();
    this.timerFired.reset();
    this.timerCommitted.reset();
    this.window = { first: 0, last: 0, count: 0 };
    this.loopDelay.reset();
  }

  /**
   * A commit (of one or several partitions' batches) has returned: note which users got a
   * delivery. The executor reports each partition's batch after this and before its next commit.
   */
  afterCommit(batches: readonly CommitBatch[]): void {
    this.commits++;
    this.delivered.clear();
    if (!this.recording) return;
    for (const batch of batches) {
      for (const change of batch.changes) {
        for (const delivery of change.deliveries) this.delivered.add(delivery.userId);
      }
    }
  }

  /** The timer service handed a due timer to the executor, `latenessMs` after its due time. */
  onTimerFired(latenessMs: number): void {
    if (this.recording) this.timerFired.recordMs(latenessMs);
  }

  /** The executor committed a batch. */
  onBatch(report: BatchReport): void {
    const now = monotonicMs();
    this.batches++;
    this.batchInputs += report.entries.length + report.timers.length;
    if (report.timers.length > 0) {
      this.timersFired += report.timers.length;
      if (!this.firstTimerNoticed) {
        this.firstTimerNoticed = true;
        this.onFirstTimer(now);
      }
    }
    if (!this.recording) return;
    if (report.timers.length > 0) {
      const wall = epochMs();
      for (const timer of report.timers) this.timerCommitted.recordMs(wall - timer.due);
      if (this.window.count === 0) this.window.first = now;
      this.window.last = now;
      this.window.count += report.timers.length;
    }
    for (const entry of report.entries) {
      const input = entry.input;
      if (input.kind !== "event") continue;
      const intended = input.properties._t;
      if (typeof intended !== "number" || intended < this.since) continue;
      this.committed.recordMs(now - intended);
      if (!this.delivered.has(input.userId)) continue;
      if (this.outboxEvents.size === 0 || this.outboxEvents.has(input.name))
        this.outbox.recordMs(now - intended);
    }
  }

  report(): LatencyReport {
    return {
      committed: this.committed.summary(),
      outbox: this.outbox.summary(),
      timerFired: this.timerFired.summary(),
      timerCommitted: this.timerCommitted.summary(),
      timerWindow: { ...this.window },
      eventLoopDelay: {
        count: this.loopDelay.count,
        p50: this.loopDelay.count > 0 ? this.loopDelay.percentile(50) / 1e6 : 0,
        p95: this.loopDelay.count > 0 ? this.loopDelay.percentile(95) / 1e6 : 0,
        p99: this.loopDelay.count > 0 ? this.loopDelay.percentile(99) / 1e6 : 0,
        p999: this.loopDelay.count > 0 ? this.loopDelay.percentile(99.9) / 1e6 : 0,
        max: this.loopDelay.count > 0 ? this.loopDelay.max / 1e6 : 0,
        mean: this.loopDelay.count > 0 ? this.loopDelay.mean / 1e6 : 0,
      },
    };
  }
}
