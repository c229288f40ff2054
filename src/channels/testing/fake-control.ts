/**
 * What every fake provider shares: a failure mode (or a script of modes, one per request) and
 * the record of accepted messages with a count per idempotency key, so tests can assert "each
 * key delivered once".
 */

export type FakeMode =
  | { kind: "ok" }
  /** 429 (or the provider's rate-limit reply) asking to come back after `retryAfterSec`. */
  | { kind: "rateLimited"; retryAfterSec: number }
  /** The provider's 5xx reply. */
  | { kind: "serverError" }
  /** The provider's permanent error for `reason`: an error code (`21211`), a word (`no_service`) or a status (`410`). */
  | { kind: "permanent"; reason: string }
  /** Accepts the request and never answers. */
  | { kind: "hang" };

/** Mode constructors, for `fake.script(...)`. */
export const FakeModes = {
  ok: (): FakeMode => ({ kind: "ok" }),
  rateLimited: (retryAfterSec = 1): FakeMode => ({ kind: "rateLimited", retryAfterSec }),
  serverError: (): FakeMode => ({ kind: "serverError" }),
  permanent: (reason: string | number): FakeMode => ({ kind: "permanent", reason: String(reason) }),
  hang: (): FakeMode => ({ kind: "hang" }),
} as const;

export interface AcceptedMessage<T> {
  /** The idempotency key as the provider received it. */
  key: string;
  at: number;
  message: T;
}

export class FakeControl<T> {
  /** Every message the fake accepted, in order (a retried key appears again). */
  readonly accepted: AcceptedMessage<T>[] = [];
  private mode: FakeMode = FakeModes.ok();
  private scripted: FakeMode[] = [];
  private readonly counts = new Map<string, number>();

  /** Answers every request successfully (the default). */
  ok(): this {
    return this.setMode(FakeModes.ok());
  }

  rateLimited(retryAfterSec = 1): this {
    return this.setMode(FakeModes.rateLimited(retryAfterSec));
  }

  serverError(): this {
    return this.setMode(FakeModes.serverError());
  }

  permanent(reason: string | number): this {
    return this.setMode(FakeModes.permanent(reason));
  }

  hang(): this {
    return this.setMode(FakeModes.hang());
  }

  setMode(mode: FakeMode): this {
    this.mode = mode;
    return this;
  }

  /** The next requests get these modes, one each, in order; then the current mode applies again. */
  script(...modes: FakeMode[]): this {
    this.scripted.push(...modes);
    return this;
  }

  /** The mode of the request being answered. */
  protected nextMode(): FakeMode {
    return this.scripted.shift() ?? this.mode;
  }

  protected record(key: string, message: T): void {
    this.accepted.push({ key, at: Date.now(), message });
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }

  /** How many times a message with this idempotency key was accepted. */
  count(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Idempotency keys accepted more than once. */
  duplicates(): string[] {
    return [...this.counts].filter(([, n]) => n > 1).map(([key]) => key);
  }

  /** Forgets accepted messages and scripts, and goes back to `ok`. */
  reset(): this {
    this.accepted.length = 0;
    this.counts.clear();
    this.scripted = [];
    return this.ok();
  }
}
