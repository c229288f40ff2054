import { Counter, type Registry } from "prom-client";
import type { Input } from "../core/input.js";
import type { BatchReport } from "../runtime/executor.js";
import type { ProjectChanges } from "../store/types.js";
import { BulkHistogram, type HistogramSeries } from "./bulk-histogram.js";
import { BATCH_SECONDS, BATCH_SIZES, LATENCY_SECONDS, LATENESS_SECONDS } from "./latency-buckets.js";

const KINDS = [
  "event",
  "timer",
  "profile",
  "journey-changed",
  "enter",
  "engagement",
  "segments",
] as const satisfies readonly Input["kind"][];

/** Why an ingest request was refused, from its HTTP status. */
export type RejectReason = "invalid" | "unauthorized" | "not_ready" | "error";

type CounterChild = Counter.Internal;

/**
 * Metrics of the engine's hot path: ingestion, executor batches and timers. Each committed batch
 * costs one pass over its entries (latency runs and kinds in local counters) and a handful of
 * counter increments; nothing is allocated per event.
 */
export class EngineMetrics {
  private readonly ingested: Counter<"project">;
  private readonly duplicates: Counter<"project">;
  private readonly rejected: Counter<"reason">;
  private readonly processed: CounterChild[];
  private readonly quietSkipped: Counter;
  private readonly errors: Counter<"where">;
  private readonly transitions: Counter<"project" | "journey" | "node">;
  private readonly exits: Counter<"project" | "journey" | "node">;
  private readonly conversions: Counter<"project" | "journey" | "node">;
  /** Shared with DeliveryMetrics: the executor counts queued and skipped, the dispatcher the rest. */
  readonly deliveries: Counter<"channel" | "provider" | "status">;
  private readonly commitLatency: HistogramSeries;
  private readonly batchSize: HistogramSeries;
  private readonly batchDuration: HistogramSeries;
  private readonly lateness: HistogramSeries;
  private readonly children = new Map<string, CounterChild>();
  private readonly kindCounts = new Float64Array(KINDS.length);

  constructor(registry: Registry) {
    const registers = [registry];
    this.ingested = new Counter({
      name: "journeys_events_ingested_total",
      help: "Events appended to the log (acknowledged to the client), by project.",
      labelNames: ["project"],
      registers,
    });
    this.duplicates = new Counter({
      name: "journeys_events_duplicate_total",
      help: "Events acknowledged but not appended because their id was already seen, by project.",
      labelNames: ["project"],
      registers,
    });
    this.rejected = new Counter({
      name: "journeys_events_rejected_total",
      help: "Event ingest requests refused (a rejected batch counts once), by reason.",
      labelNames: ["reason"],
      registers,
    });
    const processed = new Counter({
      name: "journeys_inputs_processed_total",
      help: "Inputs applied by the executor and committed, by kind (event, timer, profile, ...).",
      labelNames: ["kind"],
      registers,
    });
    this.processed = KINDS.map((kind) => processed.labels(kind));
    this.quietSkipped = new Counter({
      name: "journeys_quiet_events_skipped_total",
      help: "Events named by no journey or segment that the executor skipped without reading their user: for that user's state they could change nothing (counted in journeys_inputs_processed_total too).",
      registers,
    });
    this.errors = new Counter({
      name: "journeys_engine_errors_total",
      help: "Errors inside the engine (failed batch commits, inputs that threw), by component.",
      labelNames: ["where"],
      registers,
    });
    this.transitions = new Counter({
      name: "journeys_transitions_total",
      help: "Arrivals of instances on a node (entries and edges taken), by journey and node.",
      labelNames: ["project", "journey", "node"],
      registers,
    });
    this.exits = new Counter({
      name: "journeys_instances_exited_total",
      help: "Instances that left their journey, by the node they left from.",
      labelNames: ["project", "journey", "node"],
      registers,
    });
    this.conversions = new Counter({
      name: "journeys_conversions_total",
      help: "Goals reached, by journey and the node the instance was on.",
      labelNames: ["project", "journey", "node"],
      registers,
    });
    this.deliveries = new Counter({
      name: "journeys_deliveries_total",
      help: "Deliveries reaching a status: queued or skipped when the step commits, then sent, failed, dead or skipped by the dispatcher.",
      labelNames: ["channel", "provider", "status"],
      registers,
    });
    this.commitLatency = new BulkHistogram({
      name: "journeys_ingest_to_commit_seconds",
      help: "End-to-end latency from an input's append to the log to the commit of its effects.",
      buckets: LATENCY_SECONDS,
      registers,
    }).labels({});
    this.batchSize = new BulkHistogram({
      name: "journeys_batch_size",
      help: "Inputs (log entries and due timers) per committed executor batch.",
      buckets: BATCH_SIZES,
      registers,
    }).labels({});
    this.batchDuration = new BulkHistogram({
      name: "journeys_batch_duration_seconds",
      help: "Time an executor batch took, from reading the log to the commit.",
      buckets: BATCH_SECONDS,
      registers,
    }).labels({});
    this.lateness = new BulkHistogram({
      name: "journeys_timer_lateness_seconds",
      help: "How late timers were handed to the executor (fired minus due).",
      buckets: LATENESS_SECONDS,
      registers,
    }).labels({});
  }

  /** Events were appended (accepted) and some were duplicates. */
  onIngest(project: string, accepted: number, duplicates: number): void {
    if (accepted > duplicates) this.ingested.inc({ project }, accepted - duplicates);
    if (duplicates > 0) this.duplicates.inc({ project }, duplicates);
  }

  onReject(reason: RejectReason): void {
    this.rejected.inc({ reason });
  }

  onError(where: string): void {
    this.errors.inc({ where });
  }

  onTimerFired(latenessMs: number): void {
    this.lateness.observe(latenessMs / 1000);
  }

  /** Folds one committed batch in. */
  onBatch(report: BatchReport): void {
    const { entries, committedAt } = report;
    const kinds = this.kindCounts;
    kinds.fill(0);
    // Entries appended together share appendedAt (group commit): one observation per run.
    let runAt = 0;
    let run = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i];
      if (!entry) continue;
      const k = kindIndex(entry.input);
      kinds[k] = (kinds[k] as number) + 1;
      if (run > 0 && entry.appendedAt === runAt) {
        run++;
        continue;
      }
      if (run > 0) this.commitLatency.observe((committedAt - runAt) / 1000, run);
      runAt = entry.appendedAt;
      run = 1;
    }
    if (run > 0) this.commitLatency.observe((committedAt - runAt) / 1000, run);
    kinds[1] = (kinds[1] as number) + report.timers.length;
    for (let k = 0; k < KINDS.length; k++) {
      const count = kinds[k] as number;
      if (count > 0) this.processed[k]?.inc(count);
    }
    if (report.skipped > 0) this.quietSkipped.inc(report.skipped);
    this.batchSize.observe(entries.length + report.timers.length);
    this.batchDuration.observe((committedAt - report.startedAt) / 1000);
    for (const change of report.changes ?? []) this.onChanges(change);
  }

  private onChanges(change: ProjectChanges): void {
    const { project } = change;
    for (const counter of change.counters) {
      if (counter.entered > 0)
        this.child(this.transitions, "t", project, counter.journeyId, counter.node).inc(counter.entered);
      if (counter.exited > 0)
        this.child(this.exits, "x", project, counter.journeyId, counter.node).inc(counter.exited);
      if (counter.converted > 0)
        this.child(this.conversions, "c", project, counter.journeyId, counter.node).inc(counter.converted);
    }
    for (const delivery of change.deliveries) {
      const status = delivery.skipReason === undefined ? "queued" : "skipped";
      this.child(this.deliveries, "d", delivery.channel, delivery.provider ?? "default", status).inc();
    }
  }

  /** A labelled child, resolved once: prom-client hashes the label object on every `inc`. */
  private child(counter: Counter<string>, tag: string, a: string, b: string, c: string): CounterChild {
    const key = `${tag}\u001f${a}\u001f${b}\u001f${c}`;
    let child = this.children.get(key);
    if (!child) {
      child = counter.labels(a, b, c);
      this.children.set(key, child);
    }
    return child;
  }
}

function kindIndex(input: Input): number {
  switch (input.kind) {
    case "event":
      return 0;
    case "timer":
      return 1;
    case "profile":
      return 2;
    case "journey-changed":
      return 3;
    case "enter":
      return 4;
    case "engagement":
      return 5;
    case "segments":
      return 6;
    default: {
      const never: never = input;
      throw new TypeError(`unknown input ${JSON.stringify(never)}`);
    }
  }
}
