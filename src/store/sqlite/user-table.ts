import type { JsonObject } from "../../core/model.js";
import type { Instance, InstanceStatus, Profile } from "../../core/state.js";
import type { UserState } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "loadProfiles",
  "loadInstances",
  "loadProfile",
  "loadUserInstances",
  "upsertProfile",
  "upsertInstance",
  "userIds",
  "instancesOfJourney",
  "eraseProfile",
  "eraseInstances",
] as const;

/** A row of the instances table as SQLite returns it. */
export interface InstanceRow {
  user_id: string;
  journey_id: string;
  key: string;
  node: string;
  status: InstanceStatus;
  body: string;
}

/**
 * Profiles and instances. An instance row keeps its identity, node and status as columns (for
 * indices and stats) and only the rest as JSON, so rows stay small.
 */
export class UserTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "users.sql", STATEMENTS);
  }

  /**
   * State of the given users that have any: one query per table. One user is read by point
   * lookups instead, without the JSON array's table (a few µs less a call on a 1M-user file,
   * `bench/micro/load-users.ts`): the executor's batches at a steady few thousand events a
   * second mostly hold one user.
   */
  load(project: string, userIds: readonly string[]): Map<string, UserState> {
    const users = new Map<string, UserState>();
    if (userIds.length === 0) return users;
    if (userIds.length === 1) {
      const userId = userIds[0] as string;
      const profile = this.sql.loadProfile.get(project, userId) as { body: string } | undefined;
      const rows = this.sql.loadUserInstances.all(project, userId) as InstanceRow[];
      if (profile || rows.length > 0) {
        users.set(userId, {
          profile: profile ? (JSON.parse(profile.body) as Profile) : undefined,
          instances: rows.map(instanceFromRow),
        });
      }
      return users;
    }
    const ids = JSON.stringify(userIds);
    for (const row of this.sql.loadProfiles.all(project, ids) as { user_id: string; body: string }[]) {
      users.set(row.user_id, { profile: JSON.parse(row.body) as Profile, instances: [] });
    }
    for (const row of this.sql.loadInstances.all(project, ids) as InstanceRow[]) {
      let state = users.get(row.user_id);
      if (!state) {
        state = { profile: undefined, instances: [] };
        users.set(row.user_id, state);
      }
      state.instances.push(instanceFromRow(row));
    }
    return users;
  }

  putProfiles(project: string, profiles: readonly Profile[]): void {
    for (const profile of profiles) this.sql.upsertProfile.run(project, profile.id, JSON.stringify(profile));
  }

  putInstances(project: string, instances: readonly Instance[]): void {
    for (const instance of instances) {
      const { journeyId, userId, key, node, status } = instance;
      this.sql.upsertInstance.run(project, userId, journeyId, key, node, status, encodeBody(instance));
    }
  }

  userIds(project: string, afterUser: string, limit: number): string[] {
    const rows = this.sql.userIds.all(project, afterUser, limit) as { user_id: string }[];
    return rows.map((row) => row.user_id);
  }

  /** Rows of a journey's instances for the next `limit` users after `afterUser`. */
  instanceRowsOfJourney(project: string, journeyId: string, afterUser: string, limit: number): InstanceRow[] {
    return this.sql.instancesOfJourney.all(
      project,
      journeyId,
      project,
      journeyId,
      afterUser,
      limit,
    ) as InstanceRow[];
  }

  erase(project: string, userId: string): void {
    this.sql.eraseProfile.run(project, userId);
    this.sql.eraseInstances.run(project, userId);
  }
}

/**
 * The body of an instance row: the fields that are not columns, as a JSON array in the order
 * below, absent optional fields as null and trailing nulls left out. Positions instead of names
 * keep a waiting instance's row near half the size; rows written before this hold an object
 * with the same fields by name, and both are read.
 */
type Body = [
  entryId: string,
  version: number,
  enteredAt: number,
  nodeAt: number,
  step: number,
  engagement: number,
  entries: number,
  entryProperties?: JsonObject | null,
  timerId?: string | null,
  timerDue?: number | null,
  converted?: number | null,
  exitedAt?: number | null,
  exitReason?: string | null,
];

/** The fields an instance row holds: a field added to Instance and not here fails to compile. */
type Encoded =
  | "journeyId"
  | "userId"
  | "key"
  | "node"
  | "status"
  | "entryId"
  | "version"
  | "enteredAt"
  | "nodeAt"
  | "step"
  | "engagement"
  | "entries"
  | "entryProperties"
  | "timerId"
  | "timerDue"
  | "converted"
  | "exitedAt"
  | "exitReason";
const EVERY_FIELD_ENCODED: Record<Exclude<keyof Instance, Encoded>, never> = {};
void EVERY_FIELD_ENCODED;

function encodeBody(instance: Instance): string {
  const body: Body = [
    instance.entryId,
    instance.version,
    instance.enteredAt,
    instance.nodeAt,
    instance.step,
    instance.engagement,
    instance.entries,
    instance.entryProperties ?? null,
    instance.timerId ?? null,
    instance.timerDue ?? null,
    instance.converted ?? null,
    instance.exitedAt ?? null,
    instance.exitReason ?? null,
  ];
  while (body.length > 7 && body[body.length - 1] === null) body.pop();
  return JSON.stringify(body);
}

export function instanceFromRow(row: InstanceRow): Instance {
  const parsed = JSON.parse(row.body) as Body | Instance;
  if (!Array.isArray(parsed)) {
    parsed.journeyId = row.journey_id;
    parsed.userId = row.user_id;
    parsed.key = row.key;
    parsed.node = row.node;
    parsed.status = row.status;
    return parsed;
  }
  const [entryId, version, enteredAt, nodeAt, step, engagement, entries, ...optional] = parsed;
  const [entryProperties, timerId, timerDue, converted, exitedAt, exitReason] = optional;
  const instance: Instance = {
    journeyId: row.journey_id,
    userId: row.user_id,
    key: row.key,
    entryId,
    version,
    node: row.node,
    status: row.status,
    enteredAt,
    nodeAt,
    step,
    engagement,
    entries,
  };
  if (entryProperties != null) instance.entryProperties = entryProperties;
  if (timerId != null) instance.timerId = timerId;
  if (timerDue != null) instance.timerDue = timerDue;
  if (converted != null) instance.converted = converted;
  if (exitedAt != null) instance.exitedAt = exitedAt;
  if (exitReason != null) instance.exitReason = exitReason;
  return instance;
}
