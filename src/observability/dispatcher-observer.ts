/** A circuit breaker's state, one per provider. */
export type BreakerStateName = "closed" | "open" | "half-open";

/** What one delivery attempt came to, as the dispatcher reports it. */
export type AttemptOutcome = "sent" | "retry" | "permanent" | "dead" | "skipped";

export interface AttemptInfo {
  project: string;
  channel: string;
  provider: string;
  outcome: AttemptOutcome;
  /** Duration of the provider call (0 when no call was made). */
  latencyMs: number;
  /** The delivery's createdAt: the step that queued it, the start of ingest→provider latency. */
  createdAt: number;
}

/**
 * What the dispatcher tells observability. Implemented by DeliveryMetrics; the dispatcher calls
 * it on every attempt, on every breaker change and whenever it counts its dead letters.
 */
export interface DispatcherObserver {
  attempt(info: AttemptInfo): void;
  breaker(provider: string, state: BreakerStateName): void;
  /** Deliveries currently in the dead-letter state (`dead`), across projects. */
  deadLetters(count: number): void;
}
