import { Counter, Gauge, type Registry } from "prom-client";
import type { Clock } from "../runtime/clock.js";
import { BulkHistogram } from "./bulk-histogram.js";
import type {
  AttemptInfo,
  AttemptOutcome,
  BreakerStateName,
  DispatcherObserver,
} from "./dispatcher-observer.js";
import { CALL_SECONDS, LATENCY_SECONDS } from "./latency-buckets.js";

const BREAKER_STATES: readonly BreakerStateName[] = ["closed", "open", "half-open"];

/** The delivery status an attempt leaves behind; a retry leaves it queued, which is not counted again. */
const STATUS: { readonly [outcome in AttemptOutcome]: string | undefined } = {
  sent: "sent",
  retry: undefined,
  permanent: "failed",
  dead: "dead",
  skipped: "skipped",
};

/**
 * The dispatcher's metrics: attempts and their outcome, provider call latency, ingest→provider
 * latency, circuit breakers and dead-letter depth. Labels are channel, provider and outcome, all
 * bounded by configuration; the project of an attempt is not a label.
 */
export class DeliveryMetrics implements DispatcherObserver {
  private readonly attempts: Counter<"channel" | "provider" | "outcome">;
  private readonly callLatency: BulkHistogram<"channel" | "provider">;
  private readonly toProvider: BulkHistogram<"channel">;
  private readonly breakers: Gauge<"provider" | "state">;
  private readonly dead: Gauge;

  constructor(
    registry: Registry,
    private readonly deliveries: Counter<"channel" | "provider" | "status">,
    private readonly clock: Clock,
  ) {
    const registers = [registry];
    this.attempts = new Counter({
      name: "journeys_delivery_attempts_total",
      help: "Delivery attempts by outcome: sent, retry, permanent (failed), dead (gave up), skipped.",
      labelNames: ["channel", "provider", "outcome"],
      registers,
    });
    this.callLatency = new BulkHistogram({
      name: "journeys_delivery_duration_seconds",
      help: "Duration of provider calls, by channel and provider.",
      buckets: CALL_SECONDS,
      labelNames: ["channel", "provider"],
      registers,
    });
    this.toProvider = new BulkHistogram({
      name: "journeys_ingest_to_provider_seconds",
      help: "End-to-end latency from the step that queued a message to the provider accepting it.",
      buckets: LATENCY_SECONDS,
      labelNames: ["channel"],
      registers,
    });
    this.breakers = new Gauge({
      name: "journeys_circuit_breaker_state",
      help: "Circuit breaker per provider: 1 for its current state, 0 for the others.",
      labelNames: ["provider", "state"],
      registers,
    });
    this.dead = new Gauge({
      name: "journeys_dead_letters",
      help: "Deliveries in the dead-letter state (gave up after the last attempt), as last counted.",
      registers,
    });
  }

  attempt(info: AttemptInfo): void {
    const { channel, provider, outcome } = info;
    this.attempts.inc({ channel, provider, outcome });
    const status = STATUS[outcome];
    if (status !== undefined) this.deliveries.inc({ channel, provider, status });
    // Skips and unconfigured providers make no call: their zero would drag the quantiles down.
    if (outcome !== "skipped" && info.latencyMs > 0)
      this.callLatency.labels({ channel, provider }).observe(info.latencyMs / 1000);
    if (outcome === "sent")
      this.toProvider.labels({ channel }).observe(Math.max(0, this.clock.now() - info.createdAt) / 1000);
  }

  breaker(provider: string, state: BreakerStateName): void {
    for (const candidate of BREAKER_STATES)
      this.breakers.set({ provider, state: candidate }, candidate === state ? 1 : 0);
  }

  deadLetters(count: number): void {
    this.dead.set(count);
  }
}
