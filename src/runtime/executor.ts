import { type AdvanceContext, advance } from "../core/advance.js";
import type { AdvanceResult, Effect } from "../core/effect.js";
import { type Input, timerInput } from "../core/input.js";
import { advanceQuiet, isQuietEvent, quietUntil } from "../core/quiet.js";
import type {
  CommitResult,
  Log,
  LogRecord,
  ProjectChanges,
  Store,
  StoredTimer,
  UserState,
} from "../store/types.js";
import { BatchChanges } from "./batch-changes.js";
import type { ProjectCatalogs } from "./catalogs.js";
import type { Clock } from "./clock.js";
import { DEFAULT_QUIET_USERS, QuietUsers } from "./quiet-users.js";
import type { TimerService } from "./timer-service.js";
import { UserCache } from "./user-cache.js";

/** Default weight of the executor's user cache (users plus their instances). */
export const DEFAULT_CACHE_SIZE = 250_000;

export interface ExecutorOptions {
  store: Store;
  log: Log;
  catalogs: ProjectCatalogs;
  clock: Clock;
  timers: TimerService;
  partitions: number;
  /** Log entries read per partition batch (default 1000). */
  batchSize?: number;
  /** State kept in memory, in users plus their instances (default 250,000). */
  cacheSize?: number;
  /**
   * Users read from the store enter the cache when read again within this many reads of
   * uncached users, at least (default: half of `cacheSize`; 0 caches every user read).
   */
  cacheRemembered?: number;
  /**
   * Users for whom the executor remembers until when their quiet events (named by no journey or
   * segment) change nothing, so it skips those events without reading the user (default
   * 1,048,576, 16 MiB; 0 turns skipping off). See src/core/quiet.ts.
   */
  quietUsers?: number;
  /** Inputs of several partitions committed together, at most (default 5,000). */
  commitInputs?: number;
  /**
   * Longest time spent running advance() before a round commits and yields to the event loop
   * (default 40 ms): bounds how long HTTP intake and provider calls wait behind the executor under
   * a backlog, while keeping commits large enough (thousands of inputs) to amortise their cost.
   * At 8 ms a saturated engine committed 1,000 inputs at a time and fell behind at 20k/s.
   */
  roundBudgetMs?: number;
  /**
   * Shortest round budget (default: `roundBudgetMs`, i.e. every round gets the longest). Set
   * lower, a round that leaves work for the next (a partition it had no time for, a full batch)
   * doubles the next one's budget, up to `roundBudgetMs`, and a round that takes everything
   * halves it, down to this: an engine keeping up then commits and yields every few ms, and a
   * burst after a stall drains in short rounds. Not the default: at 10 ms, 5k/s runs measured a
   * tail lower or equal and quick HTTP throughput runs up to a sixth lower, within this
   * machine's noise (docs/benchmarks.md, change 27).
   */
  minRoundBudgetMs?: number;
  maxSteps?: number;
  /**
   * Due deliveries the next commit may write leased and hand over (the dispatcher's room). Absent:
   * commits queue every delivery.
   */
  deliveryRoom?: () => number;
  /** Called after each commit with the deliveries it leased, to send, and the due ones it queued. */
  onDeliveries?: (result: CommitResult) => void;
  /** Called after each committed batch (metrics). */
  onBatch?: (batch: BatchReport) => void;
  /** Called when a batch fails to commit; the batch is retried. */
  onError?: (error: unknown, partition: number) => void;
}

/** What one committed batch did, for metrics and observers. */
export interface BatchReport {
  partition: number;
  entries: readonly LogRecord[];
  timers: readonly StoredTimer[];
  /** Entries among `entries` that were quiet events skipped without reading their user. */
  skipped: number;
  deliveries: number;
  /** Events `emit` actions appended to the partition's log in this batch's commit. */
  emitted: number;
  transitions: number;
  committedAt: number;
  startedAt: number;
  /** What the batch committed, per project (node counters, deliveries...), for metrics. */
  changes?: readonly ProjectChanges[];
  /** Inputs that carry their ingest request's trace context, for trace spans. */
  traced?: readonly TracedInput[];
}

/** An input stamped with the `traceparent` of the request that ingested it, and what it did. */
export interface TracedInput {
  project: string;
  trace: string;
  input: Input;
  /** Journeys whose instances the input entered, moved, updated or ended. */
  journeys: string[];
  deliveries: { idempotencyKey: string; journeyId: string }[];
}

/** A partition's batch, advanced in memory and waiting for its commit. */
interface Prepared {
  partition: number;
  entries: readonly LogRecord[];
  due: StoredTimer[];
  inputs: number;
  skipped: number;
  touched: string[];
  transitions: number;
  startedAt: number;
  consumedOffset: number;
  changes: ProjectChanges[];
  traced: TracedInput[] | undefined;
}

interface Pending {
  input: Input;
  project: string;
  /** The user's key in the cache (project and user id), built once per input. */
  key: string;
  /** Ordering time: appended-at for log entries, due for timers. */
  at: number;
}

/**
 * The single writer of every partition: reads a batch of the partition's log and its due
 * timers, runs advance() for each input against cached user state, and commits everything with
 * the consumed offset in one transaction. Effects leave the process only after that commit.
 */
export class Executor {
  private readonly offsets: number[];
  private readonly dirty = new Set<number>();
  private readonly cache: UserCache;
  /** Until when users' quiet events change nothing (undefined: skipping is off). */
  private readonly quiet: QuietUsers | undefined;
  private readonly waiters: { partition: number; offset: number; resolve: () => void }[] = [];
  private readonly batchSize: number;
  private readonly commitInputs: number;
  private readonly roundBudgetMs: number;
  private readonly minRoundBudgetMs: number;
  /** The next round's budget, between the two above (see ExecutorOptions.minRoundBudgetMs). */
  private budgetMs: number;
  private pumping: Promise<void> | undefined;
  /** Callers of `exclusive` running or waiting: no batch starts meanwhile. */
  private holds = 0;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(private readonly options: ExecutorOptions) {
    this.offsets = new Array<number>(options.partitions).fill(0);
    this.batchSize = options.batchSize ?? 1000;
    this.cache = new UserCache(options.cacheSize ?? DEFAULT_CACHE_SIZE, options.cacheRemembered);
    const quietUsers = options.quietUsers ?? DEFAULT_QUIET_USERS;
    this.quiet = quietUsers > 0 ? new QuietUsers(quietUsers) : undefined;
    this.commitInputs = options.commitInputs ?? 5000;
    this.roundBudgetMs = options.roundBudgetMs ?? 40;
    // At least 1 ms: a budget of 0 would stay 0 when doubled.
    this.minRoundBudgetMs = Math.max(
      1,
      Math.min(options.minRoundBudgetMs ?? this.roundBudgetMs, this.roundBudgetMs),
    );
    this.budgetMs = this.minRoundBudgetMs;
  }

  /** The budget of the executor's next round, in ms (tests read it). */
  get roundBudget(): number {
    return this.budgetMs;
  }

  /** Loads consumed offsets and catches up on everything appended while down. */
  async start(): Promise<void> {
    for (let p = 0; p < this.options.partitions; p++) {
      this.offsets[p] = await this.options.store.consumedOffset(p);
      if ((await this.options.log.end(p)) > (this.offsets[p] as number)) this.dirty.add(p);
    }
    this.options.timers.onDue = (partition) => this.notify(partition);
    this.kick();
  }

  /** Work arrived for a partition (new log entries or due timers). */
  notify(partition: number): void {
    if (this.stopped) return;
    this.dirty.add(partition);
    this.kick();
  }

  /** Resolves once the partition has consumed the offset (e.g. to answer after an identify). */
  waitFor(partition: number, offset: number): Promise<void> {
    if ((this.offsets[partition] ?? 0) >= offset) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ partition, offset, resolve }));
  }

  consumed(partition: number): number {
    return this.offsets[partition] ?? 0;
  }

  /** Stops taking batches and waits for the one in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    await this.pumping;
  }

  /**
   * Runs `fn` while no batch is in flight and none starts, so a user's cached state cannot race
   * it (erase: a batch advancing the user from the state cached before the erasure would write
   * them back, and move journey stats' waiting counts from instances already taken out).
   */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      while (this.pumping) await this.pumping;
      return await fn();
    } finally {
      this.holds--;
      if (this.holds === 0 && this.dirty.size > 0 && !this.retryTimer) this.kick();
    }
  }

  /** Forgets a user's cached state (after erase). */
  forget(project: string, userId: string): void {
    const key = cacheKey(project, userId);
    this.cache.delete(key);
    this.quiet?.delete(key);
  }

  /** Users the quiet-event table can hold (0: skipping is off). */
  get quietCapacity(): number {
    return this.quiet?.capacity ?? 0;
  }

  /** Drops what the executor remembers of a user whose batch did not commit. */
  private forgetKey(key: string): void {
    this.cache.delete(key);
    this.quiet?.delete(key);
  }

  private kick(): void {
    if (this.pumping || this.stopped || this.holds > 0) return;
    this.pumping = this.pump().finally(() => {
      this.pumping = undefined;
      if (this.dirty.size > 0 && !this.stopped && !this.retryTimer) this.kick();
    });
  }

  private async pump(): Promise<void> {
    while (!this.stopped) {
      // Appends waiting for their group commit go first: their requests are answered before this
      // round runs, and the round already reads their entries.
      this.options.log.flushPending?.();
      if (this.dirty.size === 0) break;
      const partitions = [...this.dirty];
      this.dirty.clear();
      // Batches of many partitions share one commit: a commit's fixed cost dominates small batches.
      const prepared: Prepared[] = [];
      let committed: CommitResult;
      let inputs = 0;
      // Work this round leaves for the next: partitions it had no room for, full batches.
      let left = false;
      const roundEnds = performance.now() + this.budgetMs;
      try {
        for (const partition of partitions) {
          if (this.stopped || inputs >= this.commitInputs || (inputs > 0 && performance.now() > roundEnds)) {
            this.dirty.add(partition);
            left = true;
            continue;
          }
          const batch = await this.prepare(partition);
          if (!batch) continue;
          prepared.push(batch);
          inputs += batch.inputs;
        }
        if (prepared.length === 0) continue;
        committed = await this.commit(prepared);
      } catch (error) {
        // The cache ran ahead of the store: drop what these batches touched, give the timers back.
        for (const batch of prepared) {
          for (const key of batch.touched) this.forgetKey(key);
          for (const timer of batch.due) this.options.timers.add(timer);
          this.dirty.add(batch.partition);
          this.options.onError?.(error, batch.partition);
        }
        // Back off so a failing disk does not spin; the batches are retried from the log.
        this.retryTimer = setTimeout(() => {
          this.retryTimer = undefined;
          this.kick();
        }, 200);
        return;
      }
      if (committed.leased.length > 0 || committed.queuedDue > 0) this.options.onDeliveries?.(committed);
      for (const batch of prepared) {
        if (!this.finish(batch)) continue;
        this.dirty.add(batch.partition);
        left = true;
      }
      this.budgetMs = left
        ? Math.min(this.roundBudgetMs, this.budgetMs * 2)
        : Math.max(this.minRoundBudgetMs, this.budgetMs / 2);
      this.cache.evict();
      // The store answers synchronously: yield between rounds so HTTP intake, the group commit
      // of the log and provider calls keep running while a backlog drains.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  private async commit(prepared: readonly Prepared[]): Promise<CommitResult> {
    const { store, clock, deliveryRoom } = this.options;
    const batches = prepared.map((b) => ({
      partition: b.partition,
      consumedOffset: b.consumedOffset,
      changes: b.changes,
    }));
    const lease = deliveryRoom ? { now: clock.now(), limit: deliveryRoom() } : undefined;
    if (store.commitMany && batches.length > 1) return store.commitMany(batches, lease);
    const result: CommitResult = { leased: [], queuedDue: 0 };
    for (const batch of batches) {
      const { leased, queuedDue } = await store.commit(
        batch,
        lease && { now: lease.now, limit: lease.limit - result.leased.length },
      );
      for (const delivery of leased) result.leased.push(delivery);
      result.queuedDue += queuedDue;
    }
    return result;
  }

  /** Reads a partition's next batch and runs advance() for each input, against cached state. */
  private async prepare(partition: number): Promise<Prepared | undefined> {
    const { log, clock, timers } = this.options;
    const startedAt = clock.now();
    const from = this.offsets[partition] as number;
    const entries = await log.read(partition, from, this.batchSize);
    const due = timers.takeDue(partition, startedAt, this.batchSize);
    if (entries.length === 0 && due.length === 0) return undefined;
    const touched: string[] = [];
    try {
      return await this.advanceBatch(partition, startedAt, from, entries, due, touched);
    } catch (error) {
      // Failed partway (a store read, a catalog): what this batch advanced in the cache is ahead
      // of the store, and its due timers were taken: drop the one, give the other back.
      for (const key of touched) this.forgetKey(key);
      for (const timer of due) timers.add(timer);
      this.dirty.add(partition);
      this.options.onError?.(error, partition);
      throw error;
    }
  }

  /** Runs advance() for each of a batch's inputs (`touched` collects the users it changed). */
  private async advanceBatch(
    partition: number,
    startedAt: number,
    from: number,
    entries: LogRecord[],
    due: StoredTimer[],
    touched: string[],
  ): Promise<Prepared> {
    const { catalogs, clock } = this.options;

    const pending: Pending[] = [];
    for (const timer of due) {
      const input = timerInput(timer);
      pending.push({
        input,
        project: timer.project,
        key: cacheKey(timer.project, input.userId),
        at: timer.due,
      });
    }
    for (const { input, project, appendedAt } of entries)
      pending.push({ input, project, key: cacheKey(project, input.userId), at: appendedAt });
    if (due.length > 0 && entries.length > 0) pending.sort((a, b) => a.at - b.at);
    const skipped = this.quiet ? this.skipQuiet(pending, clock.now()) : 0;

    // Users read from the store for this batch: cached after it only when seen before (admit).
    const loaded = await this.loadUsers(pending);
    const batches = new Map<string, BatchChanges>();
    let transitions = 0;
    let traced: TracedInput[] | undefined;
    for (const { input, project, key } of pending) {
      const catalog = catalogs.peek(project) ?? (await catalogs.get(project));
      const state = this.cache.get(key) ?? loaded.get(key) ?? { profile: undefined, instances: [] };
      let changes = batches.get(project);
      if (!changes) {
        changes = new BatchChanges(project);
        batches.set(project, changes);
      }
      const now = input.kind === "timer" ? Math.max(clock.now(), input.due) : clock.now();
      const context: AdvanceContext = {
        now,
        catalog,
        profile: state.profile,
        instances: state.instances,
        maxSteps: this.options.maxSteps,
      };
      try {
        const result = this.quiet
          ? this.advanceNoting(this.quiet, key, context, input)
          : advance(context, input);
        const next = { profile: result.profile, instances: result.instances };
        if (loaded.has(key)) loaded.set(key, next);
        else this.cache.set(key, next);
        touched.push(key);
        changes.absorb(result.effects, state.instances);
        for (const effect of result.effects) if (effect.type === "instance.moved") transitions++;
        if (input.kind === "event" && input.trace !== undefined) {
          traced ??= [];
          traced.push(tracedInput(project, input.trace, input, result.effects));
        }
      } catch (error) {
        // A bug must not wedge the partition: the input is recorded as failed and skipped.
        changes.note({
          at: now,
          userId: input.userId,
          kind: "error",
          reason: `input failed: ${(error as Error).message}`,
          cause: input.kind,
        });
        this.options.onError?.(error, partition);
      }
    }
    const consumedOffset = entries.length > 0 ? (entries[entries.length - 1] as LogRecord).offset : from;
    return {
      partition,
      entries,
      due,
      inputs: pending.length,
      skipped,
      touched,
      transitions,
      startedAt,
      consumedOffset,
      changes: [...batches.values()].map((batch) => batch.finish()),
      traced,
    };
  }

  /**
   * Takes out of `pending` the quiet events of users the table vouches for: they would change
   * nothing (src/core/quiet.ts), so their users are not read. Every other input makes the table
   * forget its user first, so a quiet event after it in the batch is run, not judged on the
   * state before it. Returns how many were taken out.
   */
  private skipQuiet(pending: Pending[], now: number): number {
    const quiet = this.quiet as QuietUsers;
    const { catalogs } = this.options;
    let kept = 0;
    for (const item of pending) {
      const { input } = item;
      if (input.kind === "event") {
        const catalog = catalogs.peek(item.project);
        if (catalog && isQuietEvent(catalog, input.name) && quiet.quiet(item.key, catalog, now)) continue;
      }
      quiet.delete(item.key);
      pending[kept++] = item;
    }
    const skipped = pending.length - kept;
    pending.length = kept;
    return skipped;
  }

  /** advance(), then notes in the table until when the user's quiet events change nothing. */
  private advanceNoting(
    quiet: QuietUsers,
    key: string,
    context: AdvanceContext,
    input: Input,
  ): AdvanceResult {
    const { catalog, now } = context;
    // With `history: "all"` no event is quiet: nothing to note.
    if (catalog.history !== "referenced") return advance(context, input);
    let result: AdvanceResult;
    let until: number | undefined;
    if (input.kind === "event" && isQuietEvent(catalog, input.name)) {
      // The event is its own probe: when it changed nothing, its answer holds for the next ones.
      const quietly = advanceQuiet(context, input);
      result = quietly.result;
      if (result.effects.length === 0) until = quietly.quietUntil;
    } else result = advance(context, input);
    try {
      until ??= quietUntil({ ...context, profile: result.profile, instances: result.instances });
    } catch {
      // The input itself went through: a probe that throws only leaves the user unvouched for.
      until = now;
    }
    quiet.set(key, catalog, until, now);
    return result;
  }

  /** After the commit: move the offset, hold new near timers, report; true when more is waiting. */
  private finish(batch: Prepared): boolean {
    const { clock, timers } = this.options;
    this.offsets[batch.partition] = batch.consumedOffset;
    let deliveries = 0;
    let emitted = 0;
    for (const change of batch.changes) {
      deliveries += change.deliveries.length;
      emitted += change.emitted.length;
      for (const timer of change.timersSet)
        timers.scheduled({ ...timer, project: change.project, partition: batch.partition });
    }
    this.release(batch.partition);
    this.options.onBatch?.({
      partition: batch.partition,
      entries: batch.entries,
      timers: batch.due,
      skipped: batch.skipped,
      deliveries,
      emitted,
      transitions: batch.transitions,
      startedAt: batch.startedAt,
      committedAt: clock.now(),
      changes: batch.changes,
      traced: batch.traced,
    });
    return (
      emitted > 0 || batch.entries.length === this.batchSize || timers.hasDue(batch.partition, clock.now())
    );
  }

  /**
   * Reads the users of `pending` that are not cached. Those seen lately enter the cache; the
   * others are returned by cache key, for this batch only.
   */
  private async loadUsers(pending: readonly Pending[]): Promise<Map<string, UserState>> {
    const states = new Map<string, UserState>();
    // By project: user id -> cache key.
    const missing = new Map<string, Map<string, string>>();
    for (const { project, input, key } of pending) {
      if (this.cache.touch(key)) continue;
      let users = missing.get(project);
      if (!users) {
        users = new Map();
        missing.set(project, users);
      }
      users.set(input.userId, key);
    }
    for (const [project, users] of missing) {
      const loaded = await this.options.store.loadUsers(project, [...users.keys()]);
      for (const [userId, key] of users) {
        const state = loaded.get(userId) ?? { profile: undefined, instances: [] };
        if (this.cache.admit(key)) this.cache.set(key, state);
        else states.set(key, state);
      }
    }
    return states;
  }

  private release(partition: number): void {
    const offset = this.offsets[partition] as number;
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter && waiter.partition === partition && waiter.offset <= offset) {
        this.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

function cacheKey(project: string, userId: string): string {
  return `${project}\u001f${userId}`;
}

function tracedInput(project: string, trace: string, input: Input, effects: readonly Effect[]): TracedInput {
  const journeys: string[] = [];
  const deliveries: TracedInput["deliveries"] = [];
  for (const effect of effects) {
    if (effect.type === "delivery") {
      const { idempotencyKey, journeyId } = effect.delivery;
      deliveries.push({ idempotencyKey, journeyId });
    } else if (effect.type.startsWith("instance.") && "instance" in effect) {
      if (!journeys.includes(effect.instance.journeyId)) journeys.push(effect.instance.journeyId);
    }
  }
  return { project, trace, input, journeys, deliveries };
}
