import { Gauge, type Registry } from "prom-client";
import type { Clock } from "../runtime/clock.js";
import type { Log, Store } from "../store/types.js";

/** A published journey of a project: one source of per-node gauges. */
export interface PublishedJourney {
  project: string;
  journeyId: string;
}

/** Where scrape-time gauges read from; Engine provides every part (see `engineSources`). */
export interface ScrapeSources {
  partitions: number;
  log: Pick<Log, "end">;
  /** The executor's consumed offset of a partition (in memory). */
  consumed(partition: number): number;
  store: Pick<Store, "countTimers" | "waitingCounts">;
  /** Timers held in memory by the timer service. */
  timersInMemory(): number;
  /** Every published (not draft) journey of every project. */
  journeys(): Promise<PublishedJourney[]>;
}

/**
 * Gauges computed when Prometheus scrapes, never on the hot path. Log lag is read fresh (one
 * indexed read per partition); the pending-timer count, which walks a table, and the instances
 * per node (a few rows per journey, but every journey) are cached for `cacheMs`, because SQLite
 * runs them on the event loop.
 */
export class ScrapeGauges {
  private timersAt = Number.NEGATIVE_INFINITY;
  private instancesAt = Number.NEGATIVE_INFINITY;

  constructor(
    registry: Registry,
    private readonly sources: ScrapeSources,
    private readonly clock: Clock,
    private readonly cacheMs: number,
  ) {
    const registers = [registry];
    const self = this;
    new Gauge({
      name: "journeys_log_lag",
      help: "Log entries appended but not yet consumed by the executor, per partition.",
      labelNames: ["partition"],
      registers,
      async collect() {
        await self.collectLag(this);
      },
    });
    new Gauge({
      name: "journeys_timers_pending",
      help: "Durable timers waiting to fire (cached between scrapes).",
      registers,
      async collect() {
        if (!self.fresh("timersAt")) this.set(await self.sources.store.countTimers());
      },
    });
    new Gauge({
      name: "journeys_timers_in_memory",
      help: "Timers held in memory by the timer service (due within its horizon).",
      registers,
      collect() {
        this.set(self.sources.timersInMemory());
      },
    });
    new Gauge({
      name: "journeys_instances_active",
      help: "Instances on a node (active or held through quiet hours), by journey and node (cached between scrapes).",
      labelNames: ["project", "journey", "node"],
      registers,
      async collect() {
        if (!self.fresh("instancesAt")) await self.collectInstances(this);
      },
    });
  }

  private async collectLag(gauge: Gauge<"partition">): Promise<void> {
    const { partitions, log } = this.sources;
    for (let p = 0; p < partitions; p++) {
      const end = await log.end(p);
      gauge.set({ partition: String(p) }, Math.max(0, end - this.sources.consumed(p)));
    }
  }

  private async collectInstances(gauge: Gauge<"project" | "journey" | "node">): Promise<void> {
    const journeys = await this.sources.journeys();
    const rows: { project: string; journey: string; node: string; waiting: number }[] = [];
    for (const { project, journeyId } of journeys) {
      for (const { node, waiting } of await this.sources.store.waitingCounts(project, journeyId))
        rows.push({ project, journey: journeyId, node, waiting });
    }
    // Reset only once everything is read, so a scrape never sees a half-filled gauge.
    gauge.reset();
    for (const { waiting, ...labels } of rows) gauge.set(labels, waiting);
  }

  /** Whether a cached value is still fresh; stamps it as refreshed when not. */
  private fresh(which: "timersAt" | "instancesAt"): boolean {
    const now = this.clock.now();
    if (now - this[which] < this.cacheMs) return true;
    this[which] = now;
    return false;
  }
}
