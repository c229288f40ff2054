import { randomUUID } from "node:crypto";
import type { ProviderOptions } from "../channels/provider.js";
import { partitionOf } from "../core/hash.js";
import type { EventInput, Input } from "../core/input.js";
import type { JsonObject } from "../core/model.js";
import type { ChannelAddress, Instance, JournalLine, Profile } from "../core/state.js";
import { EVENT_ID_RETENTION_MS, type Log, type LogEntry, type Store } from "../store/types.js";
import { CallbackSigner } from "./callback-signer.js";
import { ProjectCatalogs } from "./catalogs.js";
import type { BreakerOptions, BreakerState } from "./circuit-breaker.js";
import { type Clock, systemClock } from "./clock.js";
import { Dispatcher, type DispatcherOptions, type DispatchObserver } from "./dispatcher.js";
import { RequestError } from "./errors.js";
import { type BatchReport, Executor } from "./executor.js";
import { JourneyService } from "./journey-service.js";
import { ProviderRegistry } from "./provider-registry.js";
import { ProviderThread } from "./provider-thread.js";
import { TimerService } from "./timer-service.js";
import { addTracking } from "./tracking.js";

/** Backlog from which new events are refused by default (EngineOptions.maxBacklog). */
export const DEFAULT_MAX_BACKLOG = 1_000_000;

export interface EngineOptions {
  store: Store;
  log: Log;
  clock?: Clock;
  partitions?: number;
  batchSize?: number;
  /** Executor state cache, in users plus their instances (default 250,000). */
  cacheSize?: number;
  /** Reads of uncached users the cache's admission remembers (see ExecutorOptions). */
  cacheRemembered?: number;
  /** Users whose quiet events the executor can skip (default 1,048,576; 0: off; see ExecutorOptions). */
  quietUsers?: number;
  /** Time the executor runs advance() before a round commits and yields (see ExecutorOptions). */
  roundBudgetMs?: number;
  /** Shortest round budget, used while the executor keeps up (see ExecutorOptions). */
  minRoundBudgetMs?: number;
  /**
   * Inputs appended but not yet applied, over all partitions, from which new events are refused
   * with 429 until the executor catches up (default 1,000,000; 0: no limit). Events already
   * acknowledged are never affected: this only keeps an overloaded server from promising more.
   */
  maxBacklog?: number;
  timerHorizonMs?: number;
  onBatch?: (batch: BatchReport) => void;
  onError?: (error: unknown, where: string) => void;
  onTimerFired?: (latenessMs: number) => void;
  /** Called after events are appended: how many were accepted and how many were duplicates. */
  onIngest?: (project: string, accepted: number, duplicates: number) => void;
  /** The `traceparent` to stamp on ingested events (set only while tracing). */
  traceContext?: () => string | undefined;
  /** How often segment entries are re-evaluated for every user (default 1 h; 0 turns it off). */
  segmentRefreshMs?: number;
  /**
   * Which events the per-user history records: only events some published `performed` condition
   * counts (`referenced`, the default: other events then write nothing but the log), or every
   * event (`all`: conditions published later also count earlier events; a profile write per event).
   */
  history?: "all" | "referenced";
  /** Reports the dead-letter depth (every 10 s). */
  onDeadLetters?: (count: number) => void;
  /**
   * How often consumed log entries are trimmed (default 1 s: each trim then deletes a second's
   * entries, a few ms of work, rather than a long pause every half minute). Expired event ids
   * are pruned every 30 s.
   */
  maintenanceMs?: number;
  /** Public base URL of this server (`https://journeys.example.com`): enables open/click tracking links. */
  publicUrl?: string;
  /** Delivery settings; `false` runs without a dispatcher (deliveries stay queued in the outbox). */
  delivery?:
    | false
    | (Partial<Omit<DispatcherOptions, "store" | "clock" | "registry" | "journeyStatus" | "feedback">> & {
        provider?: Partial<ProviderOptions>;
        /**
         * Make the providers' calls in a worker thread of their own (provider-thread.ts), off the
         * engine's thread. Providers there use the wall clock and the default connection pool and
         * name lookup, so it cannot be combined with `provider.dispatcher` or `provider.lookup`.
         */
        providerThread?: boolean;
        breaker?: BreakerOptions;
        onBreaker?: (provider: string, state: BreakerState) => void;
        observer?: DispatchObserver;
      });
}

/** An event as the API accepts it. */
export interface IncomingEvent {
  id?: string;
  userId: string;
  name: string;
  properties?: JsonObject;
  /** Epoch milliseconds, or an ISO 8601 date-time (the API's two forms). Default: now. */
  timestamp?: number | string;
}

export interface ProfileChange {
  attributes?: JsonObject;
  unset?: string[];
  timezone?: string;
  channels?: { [channel: string]: ChannelAddress };
}

/** How often event ids past the deduplication window are deleted. */
const PRUNE_EVENT_IDS_MS = 30_000;

/**
 * The embedded runtime: log, store, executor, timer service and journey lifecycle wired
 * together. The HTTP API, the CLI and benchmarks drive Journeys through this class.
 */
export class Engine {
  readonly store: Store;
  readonly log: Log;
  readonly clock: Clock;
  readonly partitions: number;
  /** Highest offset this engine appended (or found at start) per partition, for the backlog. */
  private readonly appendedEnds: number[] = [];
  /** Per partition, the offset the log was last trimmed to. */
  private readonly trimmed: number[] = [];
  private prunedAt = Number.NEGATIVE_INFINITY;
  readonly catalogs: ProjectCatalogs;
  readonly timers: TimerService;
  readonly executor: Executor;
  readonly journeys: JourneyService;
  readonly providers: ProviderRegistry;
  /** Where providers make their calls when `delivery.providerThread` is set. */
  readonly providerThread: ProviderThread | undefined;
  readonly dispatcher: Dispatcher | undefined;
  readonly publicUrl: string | undefined;
  /** Signs callback tokens and tracking links; loaded by start(). */
  signer: CallbackSigner | undefined;
  private accepting = false;
  private readonly intervals: NodeJS.Timeout[] = [];
  private readonly options: EngineOptions;

  constructor(options: EngineOptions) {
    this.options = options;
    this.store = options.store;
    this.log = options.log;
    this.clock = options.clock ?? systemClock;
    this.partitions = options.partitions ?? 64;
    this.publicUrl = options.publicUrl?.replace(/\/+$/, "");
    this.catalogs = new ProjectCatalogs(this.store, options.history ?? "referenced");
    this.timers = new TimerService({
      store: this.store,
      clock: this.clock,
      horizonMs: options.timerHorizonMs,
      onFire: options.onTimerFired,
    });
    this.executor = new Executor({
      store: this.store,
      log: this.log,
      catalogs: this.catalogs,
      clock: this.clock,
      timers: this.timers,
      partitions: this.partitions,
      batchSize: options.batchSize,
      cacheSize: options.cacheSize,
      cacheRemembered: options.cacheRemembered,
      quietUsers: options.quietUsers,
      roundBudgetMs: options.roundBudgetMs,
      minRoundBudgetMs: options.minRoundBudgetMs,
      // A commit writes the deliveries it can leased to the dispatcher and hands them over; it
      // wakes the dispatcher for the due ones it queued (they wait for a claim).
      deliveryRoom: options.delivery === false ? undefined : () => this.dispatcher?.room() ?? 0,
      onDeliveries: ({ leased, queuedDue }) => {
        if (leased.length > 0) this.dispatcher?.take(leased);
        if (queuedDue > 0) this.dispatcher?.wake();
      },
      onBatch: (batch) => {
        // The store appended the batch's emitted events itself, after every entry this engine had
        // appended: count them in the backlog until they are applied.
        if (batch.emitted > 0)
          this.appendedEnds[batch.partition] = (this.appendedEnds[batch.partition] ?? 0) + batch.emitted;
        options.onBatch?.(batch);
      },
      onError: (error, partition) => options.onError?.(error, `partition ${partition}`),
    });
    const delivery = options.delivery === false ? undefined : (options.delivery ?? {});
    const providerOptions = {
      allowPrivateUrls: process.env.JOURNEYS_ALLOW_PRIVATE_URLS === "1",
      now: () => this.clock.now(),
      ...delivery?.provider,
    };
    if (delivery?.providerThread) {
      if (providerOptions.dispatcher || providerOptions.lookup)
        throw new TypeError(
          "delivery.providerThread: providers in their own thread use the default connection pool and name lookup; leave out delivery.provider.dispatcher and delivery.provider.lookup",
        );
      this.providerThread = new ProviderThread({
        onLost: (error) => options.onError?.(error, "provider-thread"),
        allowPrivateUrls: providerOptions.allowPrivateUrls,
        ...(providerOptions.timeoutMs !== undefined ? { timeoutMs: providerOptions.timeoutMs } : {}),
      });
    }
    this.providers = new ProviderRegistry(this.store, {
      ...providerOptions,
      ...(delivery?.breaker ? { breaker: delivery.breaker } : {}),
      ...(delivery?.onBreaker ? { onBreaker: delivery.onBreaker } : {}),
      ...(this.providerThread ? { thread: this.providerThread } : {}),
    });
    this.dispatcher = delivery
      ? new Dispatcher({
          ...delivery,
          store: this.store,
          clock: this.clock,
          registry: this.providers,
          journeyStatus: (project, journeyId) => this.catalogs.peek(project)?.journeys.get(journeyId)?.status,
          feedback: (project, inputs) => this.submit(project, inputs),
          preparePayload: (d) =>
            this.signer && this.publicUrl ? addTracking(d, this.signer, this.publicUrl) : d.payload,
          onError: delivery.onError ?? ((error) => options.onError?.(error, "dispatcher")),
        })
      : undefined;
    this.journeys = new JourneyService({
      store: this.store,
      log: this.log,
      catalogs: this.catalogs,
      clock: this.clock,
      partitions: this.partitions,
      notify: (partitions) => {
        for (const p of partitions) this.executor.notify(p);
      },
    });
  }

  /** Starts the executor (catching up on the log) and the timer service. */
  async start(): Promise<void> {
    this.signer = await CallbackSigner.load(this.store);
    for (let p = 0; p < this.partitions; p++) this.appendedEnds[p] = await this.log.end(p);
    await this.executor.start();
    await this.timers.start();
    this.dispatcher?.start();
    this.schedule(this.options.maintenanceMs ?? 1_000, () => this.maintain());
    const onDeadLetters = this.options.onDeadLetters;
    if (onDeadLetters)
      this.schedule(10_000, async () => onDeadLetters(await this.store.countDeliveries("dead")));
    const refresh = this.options.segmentRefreshMs ?? 3_600_000;
    if (refresh > 0) this.schedule(refresh, () => this.refreshSegments());
    this.accepting = true;
  }

  get ready(): boolean {
    return this.accepting;
  }

  /** Inputs appended and not yet applied, over all partitions (from memory: cheap). */
  backlog(): number {
    let total = 0;
    for (let p = 0; p < this.partitions; p++)
      total += Math.max(0, (this.appendedEnds[p] ?? 0) - this.executor.consumed(p));
    return total;
  }

  /** True while the backlog is at or above `maxBacklog`: new events get 429 until it drains. */
  get overloaded(): boolean {
    const max = this.options.maxBacklog ?? DEFAULT_MAX_BACKLOG;
    return max > 0 && this.backlog() >= max;
  }

  /** Stops intake, finishes the batch in flight, stops timers. The caller closes the store. */
  async stop(): Promise<void> {
    this.accepting = false;
    for (const interval of this.intervals) clearInterval(interval);
    this.timers.stop();
    await this.dispatcher?.stop();
    await this.executor.stop();
    await this.providers.close();
    await this.providerThread?.close();
  }

  private schedule(everyMs: number, task: () => Promise<unknown>): void {
    let running = false;
    const interval = setInterval(() => {
      if (running) return;
      running = true;
      task()
        .catch((error) => this.options.onError?.(error, "maintenance"))
        .finally(() => {
          running = false;
        });
    }, everyMs);
    interval.unref();
    this.intervals.push(interval);
  }

  /** Trims consumed log entries and (every 30 s) forgets event ids older than the deduplication window. */
  async maintain(): Promise<void> {
    for (let p = 0; p < this.partitions; p++) {
      const consumed = this.executor.consumed(p);
      if (consumed > (this.trimmed[p] ?? 0)) {
        await this.log.trim(p, consumed);
        this.trimmed[p] = consumed;
      }
    }
    const now = this.clock.now();
    if (now - this.prunedAt >= PRUNE_EVENT_IDS_MS) {
      this.prunedAt = now;
      await this.log.pruneEventIds?.(now - EVENT_ID_RETENTION_MS);
    }
  }

  /** Re-evaluates time-dependent segment entries of every loaded project. */
  async refreshSegments(): Promise<number> {
    let users = 0;
    for (const project of this.catalogs.projects()) users += await this.journeys.refreshSegments(project);
    return users;
  }

  partitionOf(project: string, userId: string): number {
    return partitionOf(project, userId, this.partitions);
  }

  /**
   * Appends events durably (one group-committed transaction) and wakes their partitions.
   * Resolves once they are durable; duplicates of already-seen ids are acknowledged, not reapplied.
   */
  async ingest(
    project: string,
    events: readonly IncomingEvent[],
  ): Promise<{ ids: string[]; duplicates: number }> {
    const now = this.clock.now();
    const trace = this.options.traceContext?.();
    const ids: string[] = [];
    const entries: LogEntry[] = events.map((event, i) => {
      const id = event.id ?? randomUUID();
      ids.push(id);
      const input: EventInput = {
        kind: "event",
        id,
        userId: event.userId,
        name: event.name,
        properties: event.properties ?? {},
        timestamp: eventTime(event.timestamp, now, i),
      };
      if (trace !== undefined) input.trace = trace;
      const entry = this.entry(project, input, now);
      // An id generated here cannot come back in a retry: no deduplication needed.
      if (event.id === undefined) entry.dedupe = false;
      return entry;
    });
    const { offsets } = await this.append(entries);
    const duplicates = offsets.filter((offset) => offset === null).length;
    this.options.onIngest?.(project, ids.length, duplicates);
    return { ids, duplicates };
  }

  /** Queues a profile change (ordered with the user's events) and waits until it is applied. */
  async identify(project: string, userId: string, change: ProfileChange, waitMs = 5000): Promise<void> {
    await this.appendAndWait(project, { kind: "profile", id: randomUUID(), userId, ...change }, waitMs);
  }

  /** Enters a user into an API-triggered journey. */
  async enter(
    project: string,
    userId: string,
    journeyId: string,
    properties: JsonObject,
    id?: string,
  ): Promise<string> {
    const inputId = id ?? randomUUID();
    await this.append([
      this.entry(project, { kind: "enter", id: inputId, userId, journeyId, properties }, this.clock.now()),
    ]);
    return inputId;
  }

  /** Feeds any input (engagement from callbacks, etc.) through the log. */
  async submit(project: string, inputs: readonly Input[]): Promise<void> {
    const now = this.clock.now();
    await this.append(inputs.map((input) => this.entry(project, input, now)));
  }

  async user(
    project: string,
    userId: string,
  ): Promise<{ profile: Profile | undefined; instances: Instance[] } | undefined> {
    const state = (await this.store.loadUsers(project, [userId])).get(userId);
    if (!state || (!state.profile && state.instances.length === 0)) return undefined;
    return state;
  }

  async journal(project: string, userId: string, limit = 500): Promise<JournalLine[]> {
    return this.store.journal(project, userId, limit);
  }

  /** Erases a user everywhere, in step with the executor so no batch writes them back. */
  async erase(project: string, userId: string): Promise<void> {
    await this.executor.exclusive(async () => {
      await this.store.eraseUser(project, userId);
      this.executor.forget(project, userId);
    });
  }

  private entry(project: string, input: Input, now: number): LogEntry {
    return { project, partition: this.partitionOf(project, input.userId), input, appendedAt: now };
  }

  private async append(entries: LogEntry[]): Promise<{ offsets: (number | null)[] }> {
    if (entries.length === 0) return { offsets: [] };
    const result = await this.log.append(entries);
    const partitions = new Set<number>();
    for (let i = 0; i < entries.length; i++) {
      const offset = result.offsets[i];
      const p = (entries[i] as LogEntry).partition;
      partitions.add(p);
      if (offset != null && offset > (this.appendedEnds[p] ?? 0)) this.appendedEnds[p] = offset;
    }
    for (const p of partitions) this.executor.notify(p);
    return result;
  }

  private async appendAndWait(project: string, input: Input, waitMs: number): Promise<void> {
    const entry = this.entry(project, input, this.clock.now());
    const { offsets } = await this.append([entry]);
    const offset = offsets[0];
    if (offset === null || offset === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.executor.waitFor(entry.partition, offset),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, waitMs);
      }),
    ]);
    if (timer) clearTimeout(timer);
  }
}

/** An event's time in epoch milliseconds; nothing is appended when one cannot be read. */
function eventTime(timestamp: number | string | undefined, now: number, index: number): number {
  if (timestamp === undefined) return now;
  const at = typeof timestamp === "string" ? Date.parse(timestamp) : timestamp;
  if (!Number.isFinite(at)) {
    throw new RequestError(
      400,
      "INVALID",
      `events[${index}].timestamp is not a date`,
      `events[${index}].timestamp`,
    );
  }
  return at;
}
