import type { EmittedEvent } from "../core/effect.js";
import type { Input } from "../core/input.js";
import type { JsonObject } from "../core/model.js";
import type {
  DeliveryRequest,
  DeliveryStatus,
  Instance,
  JournalLine,
  Millis,
  Profile,
  Timer,
} from "../core/state.js";

/**
 * The Log and Store contracts of DESIGN.md §3. Batch-oriented and async at the interface even
 * where an implementation is synchronous (SQLite), so PostgreSQL and Kafka can implement them
 * without changing the executor. Every row belongs to a project (tenant).
 */

/** An input as it travels through the log. */
export interface LogEntry {
  project: string;
  partition: number;
  input: Input;
  /** When it was appended (ingest time): the start of end-to-end latency. */
  appendedAt: Millis;
}

export interface LogRecord extends LogEntry {
  offset: number;
}

export interface AppendResult {
  /** Per entry, in order: its offset, or `null` when its event id was already seen (deduplicated). */
  offsets: (number | null)[];
}

export interface Log {
  /** Appends durably, in one transaction; events whose `(project, id)` was already appended are skipped. */
  append(entries: LogEntry[]): Promise<AppendResult>;
  /** Entries of one partition with offset > `after`, in order, at most `max`. */
  read(partition: number, after: number, max: number): Promise<LogRecord[]>;
  /** Highest offset appended to a partition (0 when empty). */
  end(partition: number): Promise<number>;
  /** Drops entries with offset <= `upTo` (already consumed). */
  trim(partition: number, upTo: number): Promise<void>;
  /** Forgets deduplication ids older than `before` (logs that keep ids apart from entries). */
  pruneEventIds?(before: number): Promise<number>;
}

export interface UserState {
  profile: Profile | undefined;
  instances: Instance[];
}

/** A position in (due, userId, id) order. `{ due: -1, userId: "", id: "" }` starts at the beginning. */
export interface TimerCursor {
  due: Millis;
  userId: string;
  id: string;
}

export interface StoredTimer extends Timer {
  project: string;
  partition: number;
}

export interface StoredDelivery extends DeliveryRequest {
  id: number;
  project: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: Millis;
  lastError?: string;
  /** Why it was skipped, failed or dropped. */
  reason?: string;
  providerMessageId?: string;
  updatedAt: Millis;
}

/** Everything one executor batch changes, committed atomically with the consumed offset. */
export interface CommitBatch {
  partition: number;
  /** Fencing epoch of the owner (checked by stores that support several executors). */
  epoch?: number;
  /** The last log offset this batch consumed. */
  consumedOffset: number;
  /** Changes grouped by project (several projects share a partition). */
  changes: ProjectChanges[];
}

export interface ProjectChanges {
  project: string;
  profiles: Profile[];
  /** Instances to upsert (keyed by journey, user, key). */
  instances: Instance[];
  timersSet: Timer[];
  timersCancelled: { userId: string; timerId: string }[];
  deliveries: DeliveryRequest[];
  journal: JournalLine[];
  /** Events produced by `emit` actions: appended to the log in the same transaction. */
  emitted: EmittedEvent[];
  /** Increments of per-node counters (for journey stats). */
  counters: NodeCounter[];
}

export interface NodeCounter {
  journeyId: string;
  node: string;
  entered: number;
  exited: number;
  converted: number;
}

/** Filter for listing deliveries. */
export interface DeliveryQuery {
  project: string;
  status?: DeliveryStatus;
  userId?: string;
  journeyId?: string;
  limit?: number;
  /** Return deliveries with id > after (pagination). */
  after?: number;
}

export interface DeliveryUpdate {
  id: number;
  status: DeliveryStatus;
  attempts?: number;
  nextAttemptAt?: Millis;
  lastError?: string | null;
  reason?: string | null;
  providerMessageId?: string;
  updatedAt: Millis;
}

/** Per node counts for `GET /v1/journeys/{id}/stats`. */
export interface NodeStats {
  node: string;
  entered: number;
  waiting: number;
  exited: number;
  converted: number;
  sent: number;
  failed: number;
}

export interface Store {
  /** Creates or upgrades the schema (versioned migrations). */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Profiles and instances of many users in one round trip. */
  loadUsers(project: string, userIds: readonly string[]): Promise<Map<string, UserState>>;
  /** Commits one executor batch atomically (see CommitBatch). */
  commit(batch: CommitBatch): Promise<void>;
  /** The last offset committed for a partition (0 if none). */
  consumedOffset(partition: number): Promise<number>;

  /** Timers due at or before `until`, earliest first. */
  dueTimers(until: Millis, limit: number): Promise<StoredTimer[]>;
  /**
   * Timers strictly after `after` in (due, userId, id) order and due at or before `until`, at
   * most `limit`: the near future held in memory, paged without skipping timers that share a due
   * time (a million waits can end on the same millisecond).
   */
  timersBetween(after: TimerCursor, until: Millis, limit: number): Promise<StoredTimer[]>;
  countTimers(): Promise<number>;
  /** Removes timers (e.g. fired ones); a timer already gone is ignored. */
  deleteTimers(timers: StoredTimer[]): Promise<void>;

  /**
   * Deliveries ready to send (`queued` or retry due), claimed as `sending` atomically. Rows left
   * `sending` for `leaseMs` (default 60 s: their dispatcher died) are claimed again.
   */
  claimDeliveries(now: Millis, limit: number, leaseMs?: number): Promise<StoredDelivery[]>;
  updateDeliveries(updates: DeliveryUpdate[]): Promise<void>;
  listDeliveries(query: DeliveryQuery): Promise<StoredDelivery[]>;
  getDelivery(project: string, id: number): Promise<StoredDelivery | undefined>;
  findDeliveryByKey(idempotencyKey: string): Promise<StoredDelivery | undefined>;

  journal(project: string, userId: string, limit: number): Promise<JournalLine[]>;
  /** Deletes journal lines written before `before`, in every project (retention); returns how many. */
  pruneJournal(before: Millis): Promise<number>;
  /** Erases a user everywhere: profile, instances, timers, deliveries, journal. */
  eraseUser(project: string, userId: string): Promise<void>;

  /** Key/value documents: journeys, versions, templates, segments, providers, projects, api keys. */
  putDocument(project: string, kind: string, id: string, body: JsonObject): Promise<void>;
  getDocument(project: string, kind: string, id: string): Promise<JsonObject | undefined>;
  listDocuments(project: string, kind: string): Promise<{ id: string; body: JsonObject }[]>;
  deleteDocument(project: string, kind: string, id: string): Promise<boolean>;

  /** User ids of a project with a profile, in order, after `afterUser` (for segment enrollment). */
  userIds(project: string, afterUser: string, limit: number): Promise<string[]>;

  /** Instances of a journey (for migrations and stats), paged by user id. */
  instancesOfJourney(
    project: string,
    journeyId: string,
    afterUser: string,
    limit: number,
  ): Promise<Instance[]>;
  nodeStats(project: string, journeyId: string): Promise<NodeStats[]>;
}
