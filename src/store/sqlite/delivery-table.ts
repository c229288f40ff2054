import type { JsonObject } from "../../core/model.js";
import type { DeliveryRequest, DeliveryStatus } from "../../core/state.js";
import type { CommitResult, DeliveryLease, DeliveryQuery, DeliveryUpdate, StoredDelivery } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "insertDelivery",
  "claimExpiredLeases",
  "claimQueued",
  "updateDelivery",
  "listByUser",
  "listByJourney",
  "listByStatus",
  "listByProject",
  "getDelivery",
  "findByKey",
  "eraseDeliveries",
  "countByStatus",
] as const;

const DEFAULT_LIST_LIMIT = 100;

interface DeliveryRow {
  id: number;
  project: string;
  idempotency_key: string;
  user_id: string;
  journey_id: string;
  version: number;
  entry_id: string;
  key: string;
  node_id: string;
  action_index: number;
  channel: DeliveryRequest["channel"];
  provider: string | null;
  address: string | null;
  payload: string;
  not_before: number;
  expires_at: number | null;
  skip_reason: string | null;
  created_at: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  reason: string | null;
  provider_message_id: string | null;
  updated_at: number;
}

/** The outbox. Inserts ignore an idempotency key the project already has: replays are harmless. */
export class DeliveryTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "deliveries.sql", STATEMENTS);
  }
  /** Deliveries in a status, across projects (the dead-letter depth). */
  count(status: DeliveryStatus): number {
    return (this.sql.countByStatus.get(status) as { n: number }).n;
  }

  /**
   * Queues deliveries (or records them as skipped when the engine decided not to send). Those due
   * by the lease's time are written `sending`, leased from it, while its limit lasts,
   * and pushed on its `leased`; the other due ones are counted in its `queuedDue`. A replay's,
   * already in the outbox, are left as they are and not counted.
   */
  insert(project: string, deliveries: readonly DeliveryRequest[], lease: DeliveryLease & CommitResult): void {
    for (const d of deliveries) {
      const skipped = d.skipReason !== undefined;
      const due = !skipped && d.notBefore <= lease.now;
      const leasing = due && lease.leased.length < lease.limit;
      const status: DeliveryStatus = skipped ? "skipped" : leasing ? "sending" : "queued";
      const updatedAt = leasing ? lease.now : d.createdAt;
      const { changes, lastInsertRowid } = this.sql.insertDelivery.run(
        project,
        d.idempotencyKey,
        d.userId,
        d.journeyId,
        d.version,
        d.entryId,
        d.key,
        d.nodeId,
        d.actionIndex,
        d.channel,
        d.provider ?? null,
        d.address ?? null,
        JSON.stringify(d.payload),
        d.notBefore,
        d.expiresAt ?? null,
        d.skipReason ?? null,
        d.createdAt,
        status,
        d.notBefore,
        d.skipReason ?? null,
        updatedAt,
      );
      if (changes === 0 || !due) continue;
      if (!leasing) {
        lease.queuedDue++;
        continue;
      }
      lease.leased.push({
        ...d,
        id: Number(lastInsertRowid),
        project,
        status,
        attempts: 0,
        nextAttemptAt: d.notBefore,
        updatedAt,
      });
    }
  }

  /** Claims up to `limit` deliveries: abandoned leases first, then queued ones by due time. */
  claim(now: number, limit: number, leaseMs: number): StoredDelivery[] {
    const rows = this.sql.claimExpiredLeases.all(now, now - leaseMs, limit) as DeliveryRow[];
    if (rows.length < limit) {
      for (const row of this.sql.claimQueued.all(now, now, limit - rows.length) as DeliveryRow[])
        rows.push(row);
    }
    // RETURNING yields rows in no particular order.
    rows.sort((a, b) => a.next_attempt_at - b.next_attempt_at || a.id - b.id);
    return rows.map(deliveryFromRow);
  }

  update(updates: readonly DeliveryUpdate[]): void {
    for (const u of updates) {
      this.sql.updateDelivery.run(
        u.status,
        u.attempts ?? null,
        u.nextAttemptAt ?? null,
        u.lastError === undefined ? 0 : 1,
        u.lastError ?? null,
        u.reason === undefined ? 0 : 1,
        u.reason ?? null,
        u.providerMessageId ?? null,
        u.updatedAt,
        u.id,
      );
    }
  }

  /** Lists by the most selective filter given, ordered by id. */
  list(query: DeliveryQuery): StoredDelivery[] {
    const { project, status, userId, journeyId } = query;
    const after = query.after ?? 0;
    const limit = query.limit ?? DEFAULT_LIST_LIMIT;
    const s = status ?? null;
    const j = journeyId ?? null;
    let rows: unknown[];
    if (userId !== undefined) rows = this.sql.listByUser.all(project, userId, after, s, s, j, j, limit);
    else if (journeyId !== undefined)
      rows = this.sql.listByJourney.all(project, journeyId, after, s, s, limit);
    else if (status !== undefined) rows = this.sql.listByStatus.all(project, status, after, limit);
    else rows = this.sql.listByProject.all(project, after, limit);
    return (rows as DeliveryRow[]).map(deliveryFromRow);
  }

  get(project: string, id: number): StoredDelivery | undefined {
    const row = this.sql.getDelivery.get(project, id) as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  }

  findByKey(idempotencyKey: string): StoredDelivery | undefined {
    const row = this.sql.findByKey.get(idempotencyKey) as DeliveryRow | undefined;
    return row && deliveryFromRow(row);
  }

  erase(project: string, userId: string): void {
    this.sql.eraseDeliveries.run(project, userId);
  }
}

function deliveryFromRow(row: DeliveryRow): StoredDelivery {
  const delivery: StoredDelivery = {
    id: row.id,
    project: row.project,
    idempotencyKey: row.idempotency_key,
    userId: row.user_id,
    journeyId: row.journey_id,
    version: row.version,
    entryId: row.entry_id,
    key: row.key,
    nodeId: row.node_id,
    actionIndex: row.action_index,
    channel: row.channel,
    payload: JSON.parse(row.payload) as JsonObject,
    notBefore: row.not_before,
    createdAt: row.created_at,
    status: row.status,
    attempts: row.attempts,
    nextAttemptAt: row.next_attempt_at,
    updatedAt: row.updated_at,
  };
  // Absent rather than undefined, so a round trip is deep-equal to what was written.
  if (row.provider !== null) delivery.provider = row.provider;
  if (row.address !== null) delivery.address = row.address;
  if (row.expires_at !== null) delivery.expiresAt = row.expires_at;
  if (row.skip_reason !== null) delivery.skipReason = row.skip_reason;
  if (row.last_error !== null) delivery.lastError = row.last_error;
  if (row.reason !== null) delivery.reason = row.reason;
  if (row.provider_message_id !== null) delivery.providerMessageId = row.provider_message_id;
  return delivery;
}
