import type { FastifyInstance } from "fastify";
import type { DestinationStream, Logger } from "pino";
import { type Clock, systemClock } from "../runtime/clock.js";
import type { Engine, EngineOptions } from "../runtime/engine.js";
import type { BatchReport } from "../runtime/executor.js";
import { recordBatchSpans } from "./batch-spans.js";
import type { DispatcherObserver } from "./dispatcher-observer.js";
import { JournalRetention } from "./journal-retention.js";
import { createLogger, type LogLevel } from "./logger.js";
import { JourneysMetrics } from "./metrics.js";
import { metricsRoute } from "./metrics-route.js";
import { instrumentRequests } from "./request-hooks.js";
import type { PublishedJourney, ScrapeSources } from "./scrape-gauges.js";
import type { SqliteFile } from "./sqlite-stats.js";
import { Tracing } from "./tracing.js";

export interface ObservabilityOptions {
  clock?: Clock;
  /** Level of the engine's JSON logs (default info). */
  logLevel?: LogLevel;
  /** Where logs go (default stdout). */
  logDestination?: DestinationStream;
  /** Tracing to use; default from the OTEL_* environment (none when no endpoint is set). */
  tracing?: Tracing;
  env?: NodeJS.ProcessEnv;
  /** Journal lines older than this are pruned hourly; undefined keeps them forever. */
  journalRetentionMs?: number;
  /** Process and runtime metrics (default true). */
  processMetrics?: boolean;
  /** Cache of table-scanning gauges (default 15 s). */
  scrapeCacheMs?: number;
}

/** What `attach` needs besides the engine. */
export interface AttachContext {
  /** Every project (for per-journey gauges). */
  projects: () => Promise<string[]>;
  /** The SQLite file, for its size and page gauges. */
  sqlite?: SqliteFile;
}

/**
 * Metrics, traces, logs and journal retention of one server, wired the same way by `serve`, tests
 * and embedders: engine hooks first (`engineHooks`, passed to the Engine), then `attach` once the
 * engine exists, then the HTTP parts (`plugins`, `instrument`) for `buildServer`.
 */
export class Observability {
  readonly metrics: JourneysMetrics;
  readonly tracing: Tracing | undefined;
  readonly logger: Logger;
  private readonly clock: Clock;
  private readonly retentionMs: number | undefined;
  private retention: JournalRetention | undefined;

  constructor(options: ObservabilityOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.metrics = new JourneysMetrics({
      clock: this.clock,
      ...(options.processMetrics !== undefined ? { processMetrics: options.processMetrics } : {}),
      ...(options.scrapeCacheMs !== undefined ? { scrapeCacheMs: options.scrapeCacheMs } : {}),
    });
    this.tracing = options.tracing ?? Tracing.fromEnvironment(options.env);
    this.logger = createLogger(options.logLevel ?? "info", options.logDestination);
    this.retentionMs = options.journalRetentionMs;
  }

  /** What the dispatcher reports to: attempts, breakers, dead letters. */
  get dispatcher(): DispatcherObserver {
    return this.metrics.delivery;
  }

  /** The Engine options that feed metrics, traces and logs. */
  engineHooks(): Required<Pick<EngineOptions, "onBatch" | "onTimerFired" | "onError" | "onIngest">> &
    Pick<EngineOptions, "traceContext"> {
    const engine = this.metrics.engine;
    const tracing = this.tracing;
    return {
      onBatch: tracing
        ? (report: BatchReport) => {
            engine.onBatch(report);
            recordBatchSpans(tracing, report);
          }
        : (report: BatchReport) => engine.onBatch(report),
      onTimerFired: (latenessMs) => engine.onTimerFired(latenessMs),
      onIngest: (project, accepted, duplicates) => engine.onIngest(project, accepted, duplicates),
      onError: (error, where) => {
        engine.onError(where.startsWith("partition ") ? "executor" : where);
        this.logger.error({ err: error, where }, "engine error");
      },
      ...(tracing ? { traceContext: () => tracing.currentTraceparent() } : {}),
    };
  }

  /** Starts watching a running engine: scrape-time gauges and journal retention. */
  attach(engine: Engine, context: AttachContext): void {
    this.metrics.watch(engineSources(engine, context.projects), context.sqlite);
    if (this.retentionMs !== undefined) {
      this.retention = new JournalRetention({
        store: engine.store,
        clock: this.clock,
        retentionMs: this.retentionMs,
        onPruned: (lines) => this.logger.info({ lines }, "journal pruned"),
        onError: (error) => this.logger.error({ err: error }, "journal prune failed"),
      });
      this.retention.start();
    }
  }

  /** Routes for `buildServer({ plugins })`: `GET /metrics`. */
  plugins(): ((app: FastifyInstance) => void)[] {
    return [metricsRoute(this.metrics)];
  }

  /** Root hooks for `buildServer({ instrument })`: request spans, refused ingest requests. */
  instrument(): ((app: FastifyInstance) => void)[] {
    return [
      instrumentRequests({
        metrics: this.metrics.engine,
        ...(this.tracing ? { tracing: this.tracing } : {}),
      }),
    ];
  }

  /** Stops retention and exports the spans still buffered. */
  async close(): Promise<void> {
    await this.retention?.stop();
    await this.tracing?.shutdown();
  }
}

/** Scrape sources read from an engine. */
export function engineSources(engine: Engine, projects: () => Promise<string[]>): ScrapeSources {
  return {
    partitions: engine.partitions,
    log: engine.log,
    consumed: (partition) => engine.executor.consumed(partition),
    store: engine.store,
    timersInMemory: () => engine.timers.inMemory,
    journeys: async () => {
      const published: PublishedJourney[] = [];
      for (const project of await projects()) {
        for (const record of await engine.journeys.list(project))
          if (record.status !== "draft") published.push({ project, journeyId: record.id });
      }
      return published;
    },
  };
}
