import type { EmittedEvent } from "../../core/effect.js";
import type { JsonObject } from "../../core/model.js";
import {
  type DeliveryStatus,
  type Instance,
  isWaiting,
  type JournalLine,
  type Millis,
} from "../../core/state.js";
import type {
  CommitBatch,
  CommitResult,
  DeliveryLease,
  DeliveryQuery,
  DeliveryUpdate,
  LogEntry,
  NodeCounter,
  NodeStats,
  Store,
  StoredDelivery,
  StoredTimer,
  TimerCursor,
  TimerKey,
  UserState,
} from "../types.js";
import type { SqliteConnection } from "./connection.js";
import { DeliveryTable } from "./delivery-table.js";
import { DocumentTable } from "./document-table.js";
import { StoreClosedError } from "./errors.js";
import { JournalTable } from "./journal-table.js";
import { NodeStatsTable } from "./node-stats-table.js";
import { PartitionTable } from "./partition-table.js";
import { TimerTable, type UserTimerRow } from "./timer-table.js";
import { type InstanceRow, instanceFromRow, UserTable } from "./user-table.js";

/** How long a claimed delivery stays `sending` before another claim may take it over. */
export const DEFAULT_LEASE_MS = 60_000;

/** Journal rows looked at per prune statement: a few milliseconds of work each. */
const JOURNAL_PRUNE_CHUNK = 5000;

/**
 * The embedded Store on SQLite. Every method is synchronous underneath (better-sqlite3) and
 * async only at the interface; each write runs in a single transaction.
 */
export class SqliteStore implements Store {
  private readonly users: UserTable;
  private readonly timers: TimerTable;
  private readonly deliveries: DeliveryTable;
  private readonly journalLines: JournalTable;
  private readonly documents: DocumentTable;
  private readonly nodeStatsTable: NodeStatsTable;
  private readonly partitions: PartitionTable;
  private readonly commitBatch: (batch: CommitBatch, lease: LeaseInCommit) => void;
  private readonly commitBatches: (batches: readonly CommitBatch[], lease: LeaseInCommit) => void;
  private readonly claim: (now: Millis, limit: number, leaseMs: number) => StoredDelivery[];
  private readonly update: (updates: readonly DeliveryUpdate[]) => void;
  private readonly erase: (project: string, userId: string) => void;
  private readonly removeTimers: (timers: readonly StoredTimer[]) => void;
  private readonly removeStrays: (project: string, userId: string, found: readonly UserTimerRow[]) => void;

  constructor(private readonly connection: SqliteConnection) {
    const db = connection.db;
    this.users = new UserTable(db);
    this.timers = new TimerTable(db);
    this.deliveries = new DeliveryTable(db);
    this.journalLines = new JournalTable(db);
    this.documents = new DocumentTable(db);
    this.nodeStatsTable = new NodeStatsTable(db);
    this.partitions = new PartitionTable(db);
    // Through the log's wrapper: a commit may append emitted events, whose rows it must record.
    this.commitBatch = connection.log.transaction((batch: CommitBatch, lease: LeaseInCommit) =>
      this.write(batch, lease),
    );
    this.commitBatches = connection.log.transaction(
      (batches: readonly CommitBatch[], lease: LeaseInCommit) => {
        for (const batch of batches) this.write(batch, lease);
      },
    );
    this.claim = db.transaction((now: Millis, limit: number, leaseMs: number) =>
      this.deliveries.claim(now, limit, leaseMs),
    );
    this.update = db.transaction((updates: readonly DeliveryUpdate[]) => this.deliveries.update(updates));
    this.removeTimers = db.transaction((timers: readonly StoredTimer[]) => this.timers.deleteStored(timers));
    this.removeStrays = db.transaction((project: string, userId: string, found: readonly UserTimerRow[]) => {
      // Timers the user's instances name now were set after the erasure, by new inputs: kept.
      const instances = this.users.load(project, [userId]).get(userId)?.instances ?? [];
      const named = new Set(namedTimers(userId, instances).map((key) => key.timerId));
      const strays = found.filter((row) => !named.has(row.id));
      this.timers.delete(
        project,
        strays.map((row) => ({ userId, timerId: row.id, due: row.due })),
      );
    });
    this.erase = db.transaction((project: string, userId: string) => {
      const instances = this.users.load(project, [userId]).get(userId)?.instances ?? [];
      this.timers.delete(project, namedTimers(userId, instances));
      this.nodeStatsTable.add(project, waitingLeft(instances));
      this.users.erase(project, userId);
      this.deliveries.erase(project, userId);
      this.journalLines.erase(project, userId);
    });
  }

  async migrate(): Promise<void> {
    this.open().migrate();
  }

  async close(): Promise<void> {
    this.connection.close();
  }

  async loadUsers(project: string, userIds: readonly string[]): Promise<Map<string, UserState>> {
    this.open();
    return this.users.load(project, userIds);
  }

  /** Commits a batch in one transaction: state, timers, outbox, journal, emitted events, counters, offset. */
  async commit(batch: CommitBatch, lease?: DeliveryLease): Promise<CommitResult> {
    this.open();
    const result = leaseInCommit(lease);
    this.commitBatch(batch, result);
    return { leased: result.leased, queuedDue: result.queuedDue };
  }

  /** Several partitions' batches in one transaction: one WAL commit instead of one per partition. */
  async commitMany(batches: readonly CommitBatch[], lease?: DeliveryLease): Promise<CommitResult> {
    this.open();
    const result = leaseInCommit(lease);
    this.commitBatches(batches, result);
    return { leased: result.leased, queuedDue: result.queuedDue };
  }

  async consumedOffset(partition: number): Promise<number> {
    this.open();
    return this.partitions.consumedOffset(partition);
  }

  async dueTimers(until: Millis, limit: number): Promise<StoredTimer[]> {
    this.open();
    return this.timers.due(until, limit);
  }

  async timersBetween(after: TimerCursor, until: Millis, limit: number): Promise<StoredTimer[]> {
    this.open();
    return this.timers.between(after, until, limit);
  }

  async countTimers(): Promise<number> {
    const connection = this.open();
    const [row] = await connection.readOffThread<{ n: number }>("countTimers", [], () => {
      this.open();
      return [{ n: this.timers.count() }];
    });
    return row?.n ?? 0;
  }

  /** Removes fired timers. */
  async deleteTimers(timers: StoredTimer[]): Promise<void> {
    this.open();
    this.removeTimers(timers);
  }

  /**
   * Claims due deliveries as `sending`. Rows left `sending` for `leaseMs` (a dispatcher that died
   * between claim and outcome) are claimed again: at-least-once, with the same idempotency key.
   */
  async claimDeliveries(now: Millis, limit: number, leaseMs = DEFAULT_LEASE_MS): Promise<StoredDelivery[]> {
    this.open();
    return this.claim(now, limit, leaseMs);
  }

  async countDeliveries(status: DeliveryStatus): Promise<number> {
    this.open();
    return this.deliveries.count(status);
  }

  async updateDeliveries(updates: DeliveryUpdate[]): Promise<void> {
    this.open();
    this.update(updates);
  }

  async listDeliveries(query: DeliveryQuery): Promise<StoredDelivery[]> {
    this.open();
    return this.deliveries.list(query);
  }

  async getDelivery(project: string, id: number): Promise<StoredDelivery | undefined> {
    this.open();
    return this.deliveries.get(project, id);
  }

  /** The delivery with this key (the oldest when several projects happen to share it). */
  async findDeliveryByKey(idempotencyKey: string): Promise<StoredDelivery | undefined> {
    this.open();
    return this.deliveries.findByKey(idempotencyKey);
  }

  async journal(project: string, userId: string, limit: number): Promise<JournalLine[]> {
    this.open();
    return this.journalLines.newest(project, userId, limit);
  }

  /**
   * Deletes old journal lines in chunks, yielding to the event loop between them so a large
   * prune never stalls the executor. Stops at the first chunk with nothing old left.
   */
  async pruneJournal(before: Millis): Promise<number> {
    let total = 0;
    for (;;) {
      this.open();
      const pruned = this.journalLines.prune(before, JOURNAL_PRUNE_CHUNK);
      total += pruned;
      if (pruned === 0) return total;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Erases the user's profile, instances, timers, deliveries and journal. Log entries go when the
   * log is trimmed; the user's event ids stay (they only deduplicate) until pruned.
   */
  async eraseUser(project: string, userId: string): Promise<void> {
    const connection = this.open();
    this.erase(project, userId);
    // The erasure deleted the timers the user's instances named: every pending timer the engine
    // sets is one (a property test of advance() holds it to that). Should any other exist, only a
    // walk of the whole table finds it, as no index leads with the user: it runs on the
    // checkpoint worker's snapshot when there is one, off the engine's thread.
    const found = await connection.readOffThread<UserTimerRow>("timersOfUser", [project, userId], () =>
      this.timers.ofUser(project, userId),
    );
    if (found.length > 0) {
      this.open();
      this.removeStrays(project, userId, found);
    }
  }

  async putDocument(project: string, kind: string, id: string, body: JsonObject): Promise<void> {
    this.open();
    this.documents.put(project, kind, id, body);
  }

  async getDocument(project: string, kind: string, id: string): Promise<JsonObject | undefined> {
    this.open();
    return this.documents.get(project, kind, id);
  }

  async listDocuments(project: string, kind: string): Promise<{ id: string; body: JsonObject }[]> {
    this.open();
    return this.documents.list(project, kind);
  }

  async deleteDocument(project: string, kind: string, id: string): Promise<boolean> {
    this.open();
    return this.documents.delete(project, kind, id);
  }

  async userIds(project: string, afterUser: string, limit: number): Promise<string[]> {
    this.open();
    return this.users.userIds(project, afterUser, limit);
  }

  /** Instances of a journey for the next `limit` users: a user's instances are never split across pages. */
  async instancesOfJourney(
    project: string,
    journeyId: string,
    afterUser: string,
    limit: number,
  ): Promise<Instance[]> {
    const connection = this.open();
    // Without an index by journey the walk reads every instance of the project after
    // `afterUser` until it has `limit` users of the journey (all of them, for a journey few are
    // in): on the worker's snapshot when there is one, off the engine's thread.
    const params = [project, journeyId, project, journeyId, afterUser, limit];
    const rows = await connection.readOffThread<InstanceRow>("instancesOfJourney", params, () => {
      this.open();
      return this.users.instanceRowsOfJourney(project, journeyId, afterUser, limit);
    });
    return rows.map(instanceFromRow);
  }

  async nodeStats(project: string, journeyId: string): Promise<NodeStats[]> {
    this.open();
    return this.nodeStatsTable.stats(project, journeyId);
  }

  async waitingCounts(project: string, journeyId: string): Promise<{ node: string; waiting: number }[]> {
    this.open();
    return this.nodeStatsTable.waiting(project, journeyId);
  }

  private open(): SqliteConnection {
    if (!this.connection.isOpen) throw new StoreClosedError(this.connection.path);
    return this.connection;
  }

  /** The body of a commit; runs inside its transaction. */
  private write(batch: CommitBatch, lease: LeaseInCommit): void {
    const { partition } = batch;
    if (batch.epoch !== undefined) this.partitions.fence(partition, batch.epoch);
    for (const change of batch.changes) {
      const project = change.project;
      this.users.putProfiles(project, change.profiles);
      this.users.putInstances(project, change.instances);
      // Cancels first: a timer cancelled and set again in one batch stays set.
      this.timers.delete(project, change.timersCancelled);
      this.timers.put(project, partition, change.timersSet);
      this.deliveries.insert(project, change.deliveries, lease);
      this.journalLines.insert(project, change.journal);
      this.nodeStatsTable.add(project, change.counters);
      if (change.emitted.length > 0) {
        const now = this.connection.clock.now();
        this.connection.log.append(
          change.emitted.map((event) => emittedEntry(project, partition, event, now)),
        );
      }
    }
    this.partitions.setConsumedOffset(partition, batch.consumedOffset);
  }
}

/** A commit's lease and what it leased so far. */
type LeaseInCommit = DeliveryLease & CommitResult;

/** Without a lease nothing is due to it: nothing leased, nothing counted. */
function leaseInCommit(lease: DeliveryLease | undefined): LeaseInCommit {
  const { now, limit } = lease ?? { now: Number.NEGATIVE_INFINITY, limit: 0 };
  return { now, limit, leased: [], queuedDue: 0 };
}

function emittedEntry(project: string, partition: number, event: EmittedEvent, now: Millis): LogEntry {
  const { id, userId, name, properties, timestamp } = event;
  return {
    project,
    partition,
    appendedAt: now,
    input: { kind: "event", id, userId, name, properties, timestamp },
  };
}

/** The timers a user's instances name: the user's pending timers. */
function namedTimers(userId: string, instances: readonly Instance[]): TimerKey[] {
  const keys: TimerKey[] = [];
  for (const instance of instances) {
    if (instance.timerId !== undefined && instance.timerDue !== undefined) {
      keys.push({ userId, timerId: instance.timerId, due: instance.timerDue });
    }
  }
  return keys;
}

/** Counters that take erased instances out of their nodes' waiting counts. */
function waitingLeft(instances: readonly Instance[]): NodeCounter[] {
  return instances
    .filter(isWaiting)
    .map(({ journeyId, node }) => ({ journeyId, node, entered: 0, exited: 0, converted: 0, waiting: -1 }));
}
