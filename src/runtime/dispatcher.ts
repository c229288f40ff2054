import type { ProviderMessage, SendOutcome } from "../channels/provider.js";
import type { Input } from "../core/input.js";
import type { Channel } from "../core/model.js";
import type { DeliveryUpdate, Store, StoredDelivery } from "../store/types.js";
import type { Clock } from "./clock.js";
import type { ProviderHandle, ProviderRegistry } from "./provider-registry.js";

/** What the dispatcher reports to metrics (implemented by the observability layer). */
export interface DispatchObserver {
  attempt(info: {
    project: string;
    channel: string;
    provider: string;
    outcome: "sent" | "retry" | "permanent" | "dead" | "skipped";
    latencyMs: number;
    createdAt: number;
  }): void;
}

export interface DispatcherOptions {
  store: Store;
  clock: Clock;
  registry: ProviderRegistry;
  /** Status of a journey, to skip sends of paused journeys. */
  journeyStatus: (project: string, journeyId: string) => string | undefined;
  /** Feeds engagement (`failed`) and unsubscriptions back to the users' partitions. */
  feedback: (project: string, inputs: Input[]) => Promise<void>;
  /** Attempts before a delivery is dead (default 8). */
  maxAttempts?: number;
  /** First retry delay (default 1 s), doubling per attempt up to maxBackoffMs (default 1 h), with jitter. */
  backoffMs?: number;
  maxBackoffMs?: number;
  /**
   * Provider calls in flight at once (default 1,024), and per provider (default 512,
   * DEFAULT_PROVIDER_CONCURRENCY). A call holds its slot until its outcome is handled on the
   * engine's thread, which a saturated executor reaches only between its rounds (tens of ms):
   * the slots must cover the calls a round's time lets through, not only the provider's latency.
   */
  concurrency?: number;
  perProviderConcurrency?: number;
  /** Deliveries claimed per query (default 256). */
  claimLimit?: number;
  /** A claimed delivery not finished within this is claimed again (default 60 s). */
  leaseMs?: number;
  /** Poll interval when idle (default 200 ms); `wake()` dispatches at once. */
  pollMs?: number;
  random?: () => number;
  observer?: DispatchObserver;
  /** Starts the trace span of an attempt (observability); the provider call runs inside it. */
  span?: (attempt: {
    project: string;
    idempotencyKey: string;
    channel: string;
    provider: string;
    journeyId: string;
    nodeId: string;
    attempt: number;
  }) => {
    run<T>(fn: () => T): T;
    end(outcome: "sent" | "retry" | "permanent" | "dead" | "skipped", error?: string): void;
  };
  /** Last touch before a payload leaves (e.g. open/click tracking in email html). */
  preparePayload?: (delivery: StoredDelivery) => StoredDelivery["payload"];
  onError?: (error: unknown) => void;
}

/** Calls in flight per provider by default (`journeys serve --provider-concurrency`). */
export const DEFAULT_PROVIDER_CONCURRENCY = 512;

/**
 * Turns the outbox into messages: claims due deliveries, sends them through their provider
 * (batched where the provider allows), and records each attempt. Retries back off with jitter
 * and honour Retry-After; permanent errors are not retried; after N attempts a delivery is
 * dead (the dead-letter queue). A circuit breaker and a token bucket per provider keep an outage
 * or a rate limit from hammering the provider or blocking other channels: deliveries wait.
 */
export class Dispatcher {
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly concurrency: number;
  private readonly perProvider: number;
  private readonly claimLimit: number;
  private readonly leaseMs: number;
  private readonly random: () => number;
  private inFlight = 0;
  private readonly inFlightByProvider = new Map<string, number>();
  private readonly calls = new Set<Promise<void>>();
  /**
   * Claimed deliveries waiting for a free slot of their provider, oldest first. They stay
   * `sending` (leased) in the store: launched as soon as a call of that provider ends, instead of
   * being written back and claimed again, which under load cost more than the sends.
   */
  private readonly held = new Map<ProviderHandle, { delivery: StoredDelivery; claimedAt: number }[]>();
  private heldCount = 0;
  /** Deliveries commits wrote leased to this dispatcher (`take`), not yet routed. */
  private handed: StoredDelivery[] = [];
  /** Outcomes of finished calls, written together once per turn of the event loop. */
  private outcomes: DeliveryUpdate[] = [];
  private outcomesWritten: Promise<void> | undefined;
  private poller: NodeJS.Timeout | undefined;
  private ticking: Promise<void> | undefined;
  private again = false;
  /**
   * Whether the outbox may hold due deliveries that no claim has taken: set by `wake()` (new
   * deliveries committed, the poll, a retry asked through the API), kept by a claim that filled
   * its room, cleared by one that did not. Claims run only while it is set: otherwise every
   * call's end cost a claim (a write transaction) that found nothing. While it is set commits
   * hand nothing over (`room()` is 0), so deliveries already queued are claimed first.
   */
  private mayHaveDue = true;
  private stopped = true;

  constructor(private readonly options: DispatcherOptions) {
    this.maxAttempts = options.maxAttempts ?? 8;
    this.backoffMs = options.backoffMs ?? 1000;
    this.maxBackoffMs = options.maxBackoffMs ?? 3_600_000;
    this.concurrency = options.concurrency ?? 1024;
    this.perProvider = options.perProviderConcurrency ?? DEFAULT_PROVIDER_CONCURRENCY;
    this.claimLimit = options.claimLimit ?? 256;
    this.leaseMs = options.leaseMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  start(): void {
    this.stopped = false;
    this.poller = setInterval(() => this.wake(), this.options.pollMs ?? 200);
    this.poller.unref();
    this.wake();
  }

  /** Stops claiming and waits for the calls in flight to be recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.poller) clearInterval(this.poller);
    await this.ticking;
    await Promise.allSettled([...this.calls]);
    await this.outcomesWritten;
    // What waited for a slot goes back to the queue, due now, rather than sitting out its lease.
    await this.releaseStale(Number.POSITIVE_INFINITY);
    await this.releaseHanded();
  }

  /**
   * How many due deliveries a commit may write leased to this dispatcher and hand over (`take`)
   * rather than queue for a claim, which is a write transaction of its own. None while the
   * outbox may hold due deliveries no claim has taken (those go first) or once stopped.
   */
  room(): number {
    return this.stopped || this.mayHaveDue ? 0 : Math.max(0, this.freeRoom());
  }

  /** Deliveries it has room for beside those held or handed over, at most a claim's worth. */
  private freeRoom(): number {
    return Math.min(this.claimLimit, this.concurrency * 8 - this.heldCount - this.handed.length);
  }

  /** Deliveries a commit wrote leased to this dispatcher (see `room`): routed as claimed ones. */
  take(leased: readonly StoredDelivery[]): void {
    for (const delivery of leased) this.handed.push(delivery);
    if (this.stopped) {
      // Handed over after stop (a commit that was already running): back to the queue, due now.
      this.releaseHanded().catch((error) => this.options.onError?.(error));
      return;
    }
    this.run();
  }

  /** Puts back handed deliveries not routed yet, due now (a stopped dispatcher's). */
  private async releaseHanded(): Promise<void> {
    if (this.handed.length === 0) return;
    const now = this.options.clock.now();
    const updates = this.handed.map((delivery) => this.wait(delivery, now, "dispatcher stopped", now));
    this.handed = [];
    await this.options.store.updateDeliveries(updates);
  }

  /** Puts back held deliveries claimed before `before` minus half the lease (all with +Infinity), so their lease never runs out in memory. */
  private async releaseStale(before: number): Promise<void> {
    // Also puts back, at once, what waits for a provider whose breaker is no longer closed.
    if (this.heldCount === 0) return;
    const now = this.options.clock.now();
    const limit = before === Number.POSITIVE_INFINITY ? before : before - this.leaseMs / 2;
    const updates: DeliveryUpdate[] = [];
    for (const [handle, queue] of this.held) {
      if (handle.breaker.current(now) !== "closed") {
        // The provider started failing while these waited: they wait for the breaker, queued.
        const at = handle.breaker.retryAt(now);
        for (const { delivery } of queue)
          updates.push(this.wait(delivery, at, `circuit open for provider ${handle.id}`, now));
        this.heldCount -= queue.length;
        this.held.delete(handle);
        continue;
      }
      while (queue.length > 0 && (queue[0] as { claimedAt: number }).claimedAt <= limit) {
        const { delivery } = queue.shift() as { delivery: StoredDelivery };
        this.heldCount--;
        updates.push(this.wait(delivery, now, "provider busy", now));
      }
      if (queue.length === 0) this.held.delete(handle);
    }
    if (updates.length > 0) await this.options.store.updateDeliveries(updates);
  }

  /** Free slots of a provider, in messages. */
  private slotsOf(handle: ProviderHandle): number {
    const busy = this.inFlightByProvider.get(handle.key) ?? 0;
    const own = Math.min(this.perProvider, handle.provider.maxConcurrency ?? this.perProvider);
    return Math.max(0, Math.min(own - busy, this.concurrency - this.inFlight)) * handle.provider.maxBatch;
  }

  /** Launches held deliveries of a provider into its free slots (not past a closed breaker). */
  private launchHeld(handle: ProviderHandle): void {
    const queue = this.held.get(handle);
    if (!queue || this.stopped) return;
    const now = this.options.clock.now();
    if (handle.breaker.current(now) !== "closed") return;
    const max = handle.provider.maxBatch;
    while (queue.length > 0 && this.slotsOf(handle) > 0) {
      const batch = queue.splice(0, max).map((h) => h.delivery);
      this.heldCount -= batch.length;
      this.launch(handle, batch);
    }
    if (queue.length === 0) this.held.delete(handle);
  }

  /** New deliveries may be due (committed, requeued, or time passed): dispatch now. */
  wake(): void {
    this.mayHaveDue = true;
    this.run();
  }

  private run(): void {
    if (this.stopped) return;
    if (this.ticking) {
      this.again = true;
      return;
    }
    this.ticking = this.tick()
      .catch((error) => this.options.onError?.(error))
      .finally(() => {
        this.ticking = undefined;
        if (this.again) {
          this.again = false;
          this.run();
        }
      });
  }

  private async tick(): Promise<void> {
    const { store, clock } = this.options;
    await this.releaseStale(clock.now());
    for (const handle of [...this.held.keys()]) this.launchHeld(handle);
    if (this.handed.length > 0) {
      const handed = this.handed;
      this.handed = [];
      await this.route(handed);
    }
    while (!this.stopped && this.mayHaveDue && this.inFlight < this.concurrency) {
      const room = this.freeRoom();
      if (room <= 0) return;
      const claimed = await store.claimDeliveries(clock.now(), room, this.leaseMs);
      this.mayHaveDue = claimed.length >= room;
      if (claimed.length === 0) return;
      const launched = await this.route(claimed);
      // Nothing could start (every provider busy or limited): wait for a call to finish (wake) or the poll.
      if (launched === 0 || claimed.length < room) return;
      // The store answers synchronously: yield so the calls in flight can complete and free their slots.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Groups claimed deliveries by provider and starts their calls; puts back what must wait. Returns calls started. */
  private async route(claimed: readonly StoredDelivery[]): Promise<number> {
    let launched = 0;
    const now = this.options.clock.now();
    const updates: DeliveryUpdate[] = [];
    const groups = new Map<ProviderHandle, StoredDelivery[]>();
    for (const delivery of claimed) {
      if (delivery.expiresAt !== undefined && now > delivery.expiresAt) {
        updates.push({
          id: delivery.id,
          status: "skipped",
          reason: "expired: older than the journey's maxMessageAge",
          updatedAt: now,
        });
        this.observe(delivery, "-", "skipped", 0);
        continue;
      }
      if (this.options.journeyStatus(delivery.project, delivery.journeyId) === "paused") {
        updates.push({ id: delivery.id, status: "skipped", reason: "journey paused", updatedAt: now });
        this.observe(delivery, "-", "skipped", 0);
        continue;
      }
      const handle = await this.options.registry.resolve(
        delivery.project,
        delivery.channel as Channel,
        delivery.provider,
      );
      if (!handle) {
        const reason = delivery.provider
          ? `provider ${delivery.provider} is not configured`
          : `no provider configured for ${delivery.channel}`;
        updates.push(this.failedAttempt(delivery, reason, undefined, now));
        continue;
      }
      const list = groups.get(handle);
      if (list) list.push(delivery);
      else groups.set(handle, [delivery]);
    }
    for (const [handle, deliveries] of groups) {
      let ready = deliveries;
      const probing = handle.breaker.current(now) === "half-open";
      if (!handle.breaker.allow(now)) {
        const at = handle.breaker.retryAt(now);
        for (const d of deliveries)
          updates.push(this.wait(d, at, `circuit open for provider ${handle.id}`, now));
        continue;
      }
      if (probing) {
        // Half-open: one call probes the provider; the rest wait for its verdict.
        const at = now + 200;
        for (const d of ready.slice(handle.provider.maxBatch)) {
          updates.push(this.wait(d, at, `circuit half-open for provider ${handle.id}`, now));
        }
        ready = ready.slice(0, handle.provider.maxBatch);
      }
      // Deliveries already held for this provider go first: they were claimed earlier.
      const queue = this.held.get(handle);
      if (queue && !probing) {
        ready = [...queue.map((h) => h.delivery), ...ready];
        this.heldCount -= queue.length;
        this.held.delete(handle);
      }
      let slots = this.slotsOf(handle);
      if (probing) slots = Math.min(slots, handle.provider.maxBatch);
      if (handle.bucket) slots = handle.bucket.take(Math.min(slots, ready.length), now);
      if (slots < ready.length) {
        const rest = ready.slice(slots);
        ready = ready.slice(0, slots);
        if (handle.bucket) {
          const later = handle.bucket.nextAt(now);
          for (const d of rest) updates.push(this.wait(d, later, "provider rate limited", now));
        } else {
          // Busy, not limited: hold them for the provider's next free slot.
          const list = this.held.get(handle) ?? [];
          for (const d of rest) list.push({ delivery: d, claimedAt: d.updatedAt });
          this.heldCount += rest.length;
          this.held.set(handle, list);
        }
      }
      for (let i = 0; i < ready.length; i += handle.provider.maxBatch) {
        this.launch(handle, ready.slice(i, i + handle.provider.maxBatch));
        launched++;
      }
    }
    if (updates.length > 0) await this.options.store.updateDeliveries(updates);
    return launched;
  }

  private launch(handle: ProviderHandle, batch: StoredDelivery[]): void {
    this.inFlight++;
    this.inFlightByProvider.set(handle.key, (this.inFlightByProvider.get(handle.key) ?? 0) + 1);
    const call = this.call(handle, batch)
      .catch((error) => this.options.onError?.(error))
      .finally(() => {
        this.inFlight--;
        this.inFlightByProvider.set(handle.key, (this.inFlightByProvider.get(handle.key) ?? 1) - 1);
        this.calls.delete(call);
        this.launchHeld(handle);
        // A slot freed: claim more only if the last claim left some behind for want of room.
        if (this.mayHaveDue) this.run();
      });
    this.calls.add(call);
  }

  private async call(handle: ProviderHandle, batch: readonly StoredDelivery[]): Promise<void> {
    const { clock } = this.options;
    const started = clock.now();
    const messages: ProviderMessage[] = batch.map((d) => ({
      idempotencyKey: d.idempotencyKey,
      userId: d.userId,
      journeyId: d.journeyId,
      nodeId: d.nodeId,
      channel: d.channel as Channel,
      ...(d.address !== undefined ? { address: d.address } : {}),
      payload: this.options.preparePayload ? this.options.preparePayload(d) : d.payload,
    }));
    const spans = this.options.span
      ? batch.map((d) =>
          this.options.span?.({
            project: d.project,
            idempotencyKey: d.idempotencyKey,
            channel: d.channel,
            provider: handle.id,
            journeyId: d.journeyId,
            nodeId: d.nodeId,
            attempt: d.attempts + 1,
          }),
        )
      : undefined;
    let outcomes: SendOutcome[];
    // Providers time out their own calls; this bound only guards against one that never settles.
    // A controller and a timer cleared after the call, not AbortSignal.timeout: V8 keeps what a
    // timeout signal reaches (through its WeakRef) alive across young-generation collections.
    const bound = new AbortController();
    const boundMs = this.leaseMs / 2;
    const timer = setTimeout(() => bound.abort(new Error(`no outcome within ${boundMs} ms`)), boundMs);
    timer.unref(); // as AbortSignal.timeout's: a pending bound never keeps the process up
    try {
      const send = () => handle.provider.send(messages, bound.signal);
      outcomes = await (spans?.[0] ? spans[0].run(send) : send());
    } catch (error) {
      outcomes = batch.map(() => ({
        status: "retry",
        error: `provider call failed: ${(error as Error).message}`,
      }));
    } finally {
      clearTimeout(timer);
    }
    const now = clock.now();
    const updates: DeliveryUpdate[] = [];
    const feedback = new Map<string, Input[]>();
    const add = (project: string, input: Input) => {
      const list = feedback.get(project);
      if (list) list.push(input);
      else feedback.set(project, [input]);
    };
    let failed = false;
    let succeeded = false;
    batch.forEach((delivery, i) => {
      const outcome = outcomes[i] ?? { status: "retry" as const, error: "provider returned no outcome" };
      const attempts = delivery.attempts + 1;
      switch (outcome.status) {
        case "sent":
          succeeded = true;
          updates.push({
            id: delivery.id,
            status: "sent",
            attempts,
            lastError: null,
            reason: null,
            updatedAt: now,
            ...(outcome.providerMessageId ? { providerMessageId: outcome.providerMessageId } : {}),
          });
          this.observe(delivery, handle.id, "sent", now - started);
          break;
        case "retry": {
          failed = true;
          const update = this.failedAttempt(delivery, outcome.error, outcome.retryAfterMs, now);
          updates.push(update);
          this.observe(delivery, handle.id, update.status === "dead" ? "dead" : "retry", now - started);
          if (update.status === "dead") add(delivery.project, engagementFailed(delivery));
          break;
        }
        case "permanent":
          succeeded = true;
          updates.push({
            id: delivery.id,
            status: "failed",
            attempts,
            lastError: outcome.error,
            reason: outcome.error,
            updatedAt: now,
          });
          this.observe(delivery, handle.id, "permanent", now - started);
          add(delivery.project, engagementFailed(delivery));
          if (outcome.unsubscribe) add(delivery.project, unsubscribe(delivery, outcome.error));
          break;
      }
    });
    if (spans) {
      batch.forEach((_, i) => {
        const outcome = outcomes[i];
        const status = updates[i]?.status;
        spans[i]?.end(
          status === "dead" ? "dead" : (outcome?.status ?? "retry"),
          outcome && outcome.status !== "sent" ? outcome.error : undefined,
        );
      });
    }
    // A permanent error is the message's fault, not the provider's: it counts as the provider answering.
    if (failed && !succeeded) handle.breaker.failure(now);
    else handle.breaker.success();
    await this.record(updates);
    for (const [project, inputs] of feedback) await this.options.feedback(project, inputs);
  }

  /** Writes outcomes of calls that end in the same turn of the event loop in one transaction. */
  private record(updates: readonly DeliveryUpdate[]): Promise<void> {
    for (const update of updates) this.outcomes.push(update);
    this.outcomesWritten ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        const batch = this.outcomes;
        this.outcomes = [];
        this.outcomesWritten = undefined;
        this.options.store.updateDeliveries(batch).then(resolve, reject);
      });
    });
    return this.outcomesWritten;
  }

  /** An attempt that may be retried: back off (or honour Retry-After), or dead after the last attempt. */
  private failedAttempt(
    delivery: StoredDelivery,
    error: string,
    retryAfterMs: number | undefined,
    now: number,
  ): DeliveryUpdate {
    const attempts = delivery.attempts + 1;
    if (attempts >= this.maxAttempts) {
      return {
        id: delivery.id,
        status: "dead",
        attempts,
        lastError: error,
        reason: `gave up after ${attempts} attempts`,
        updatedAt: now,
      };
    }
    const exponential = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** (attempts - 1));
    // Full jitter spreads retries of many deliveries that failed together.
    const jittered = exponential / 2 + this.random() * (exponential / 2);
    const delay = retryAfterMs !== undefined ? Math.max(retryAfterMs, 0) + this.random() * 100 : jittered;
    return {
      id: delivery.id,
      status: "queued",
      attempts,
      nextAttemptAt: now + delay,
      lastError: error,
      reason: null,
      updatedAt: now,
    };
  }

  /** Puts a delivery back without spending an attempt (circuit open, rate limited). */
  private wait(delivery: StoredDelivery, at: number, reason: string, now: number): DeliveryUpdate {
    return { id: delivery.id, status: "queued", nextAttemptAt: at, reason, updatedAt: now };
  }

  private observe(
    delivery: StoredDelivery,
    provider: string,
    outcome: "sent" | "retry" | "permanent" | "dead" | "skipped",
    latencyMs: number,
  ): void {
    this.options.observer?.attempt({
      project: delivery.project,
      channel: delivery.channel,
      provider,
      outcome,
      latencyMs,
      createdAt: delivery.createdAt,
    });
  }
}

function engagementFailed(delivery: StoredDelivery): Input {
  return {
    kind: "engagement",
    id: `failed:${delivery.idempotencyKey}`,
    userId: delivery.userId,
    journeyId: delivery.journeyId,
    key: delivery.key,
    entryId: delivery.entryId,
    nodeId: delivery.nodeId,
    status: "failed",
  };
}

function unsubscribe(delivery: StoredDelivery, reason: string): Input {
  return {
    kind: "profile",
    id: `unsubscribe:${delivery.idempotencyKey}`,
    userId: delivery.userId,
    channels: { [delivery.channel]: { subscribed: false, reason: reason.slice(0, 200) } },
  };
}
