import { collectDefaultMetrics, Registry } from "prom-client";
import { type Clock, systemClock } from "../runtime/clock.js";
import { DeliveryMetrics } from "./delivery-metrics.js";
import { EngineMetrics } from "./engine-metrics.js";
import { ScrapeGauges, type ScrapeSources } from "./scrape-gauges.js";
import { registerSqliteStats, type SqliteFile } from "./sqlite-stats.js";

export interface MetricsOptions {
  clock?: Clock;
  /** Process and Node.js runtime metrics (CPU, memory, event loop lag, GC); default true. */
  processMetrics?: boolean;
  /** How long table-scanning gauges (timers pending, instances per node) are cached; default 15 s. */
  scrapeCacheMs?: number;
}

/**
 * Every Prometheus metric of one server, in a registry of its own (never prom-client's global
 * one), so several servers can run in one process, as tests do.
 */
export class JourneysMetrics {
  readonly registry = new Registry();
  readonly engine: EngineMetrics;
  readonly delivery: DeliveryMetrics;
  private readonly clock: Clock;
  private readonly scrapeCacheMs: number;
  private watching = false;

  constructor(options: MetricsOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.scrapeCacheMs = options.scrapeCacheMs ?? 15_000;
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.engine = new EngineMetrics(this.registry);
    this.delivery = new DeliveryMetrics(this.registry, this.engine.deliveries, this.clock);
  }

  /** Adds the gauges read at scrape time (log lag, timers, instances per node, SQLite file). */
  watch(sources: ScrapeSources, sqlite?: SqliteFile): void {
    if (this.watching) throw new MetricsAlreadyWatchingError();
    this.watching = true;
    new ScrapeGauges(this.registry, sources, this.clock, this.scrapeCacheMs);
    if (sqlite) registerSqliteStats(this.registry, sqlite);
  }

  /** The exposition text and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** `watch` was called twice: the scrape gauges would be registered twice. */
export class MetricsAlreadyWatchingError extends Error {
  readonly code = "METRICS_ALREADY_WATCHING";

  constructor() {
    super("metrics already watch an engine");
    this.name = "MetricsAlreadyWatchingError";
  }
}
