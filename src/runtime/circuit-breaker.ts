/** Circuit breaker states, as exported in metrics. */
export type BreakerState = "closed" | "open" | "half-open";

export interface BreakerOptions {
  /** Consecutive failures that open the circuit (default 5). */
  failureThreshold?: number;
  /** How long it stays open before one probe is let through (default 10 s, doubling up to maxOpenMs). */
  openMs?: number;
  maxOpenMs?: number;
}

/**
 * A circuit breaker for one provider: closed while calls succeed; open after consecutive
 * failures, so an outage is not hammered and deliveries wait instead of burning attempts;
 * half-open after a pause, letting one probe through whose outcome closes or reopens it.
 */
export class CircuitBreaker {
  private state: BreakerState = "closed";
  private failures = 0;
  private openedAt = 0;
  private openFor: number;
  private probing = false;
  private readonly threshold: number;
  private readonly baseOpenMs: number;
  private readonly maxOpenMs: number;

  constructor(
    options: BreakerOptions = {},
    private readonly onChange?: (state: BreakerState) => void,
  ) {
    this.threshold = options.failureThreshold ?? 5;
    this.baseOpenMs = options.openMs ?? 10_000;
    this.maxOpenMs = options.maxOpenMs ?? 300_000;
    this.openFor = this.baseOpenMs;
  }

  /** The current state at `now` (an open circuit becomes half-open once its pause is over). */
  current(now: number): BreakerState {
    if (this.state === "open" && now >= this.openedAt + this.openFor) this.set("half-open");
    return this.state;
  }

  /** Whether a call may go now; in half-open, only one probe at a time. */
  allow(now: number): boolean {
    const state = this.current(now);
    if (state === "closed") return true;
    if (state === "open" || this.probing) return false;
    this.probing = true;
    return true;
  }

  /** When calls may be tried again (for deliveries put back to wait). */
  retryAt(now: number): number {
    return this.state === "open" ? this.openedAt + this.openFor : now + 1000;
  }

  success(): void {
    this.failures = 0;
    this.probing = false;
    this.openFor = this.baseOpenMs;
    if (this.state !== "closed") this.set("closed");
  }

  failure(now: number): void {
    this.failures++;
    if (this.state === "half-open") {
      this.probing = false;
      this.openFor = Math.min(this.openFor * 2, this.maxOpenMs);
      this.open(now);
    } else if (this.state === "closed" && this.failures >= this.threshold) this.open(now);
  }

  private open(now: number): void {
    this.openedAt = now;
    this.set("open");
  }

  private set(state: BreakerState): void {
    if (this.state === state) return;
    this.state = state;
    this.onChange?.(state);
  }
}
