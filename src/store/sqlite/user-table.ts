import type { Instance, InstanceStatus, Profile } from "../../core/state.js";
import type { UserState } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "loadProfiles",
  "loadInstances",
  "upsertProfile",
  "upsertInstance",
  "userIds",
  "instancesOfJourney",
  "eraseProfile",
  "eraseInstances",
] as const;

interface InstanceRow {
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

  /** State of the given users that have any; one query per table. */
  load(project: string, userIds: readonly string[]): Map<string, UserState> {
    const users = new Map<string, UserState>();
    if (userIds.length === 0) return users;
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
      const { journeyId, userId, key, node, status, ...rest } = instance;
      this.sql.upsertInstance.run(project, userId, journeyId, key, node, status, JSON.stringify(rest));
    }
  }

  userIds(project: string, afterUser: string, limit: number): string[] {
    const rows = this.sql.userIds.all(project, afterUser, limit) as { user_id: string }[];
    return rows.map((row) => row.user_id);
  }

  /** Instances of a journey for the next `limit` users after `afterUser`. */
  instancesOfJourney(project: string, journeyId: string, afterUser: string, limit: number): Instance[] {
    const rows = this.sql.instancesOfJourney.all(
      project,
      journeyId,
      project,
      journeyId,
      afterUser,
      limit,
    ) as InstanceRow[];
    return rows.map(instanceFromRow);
  }

  erase(project: string, userId: string): void {
    this.sql.eraseProfile.run(project, userId);
    this.sql.eraseInstances.run(project, userId);
  }
}

function instanceFromRow(row: InstanceRow): Instance {
  const instance = JSON.parse(row.body) as Instance;
  instance.journeyId = row.journey_id;
  instance.userId = row.user_id;
  instance.key = row.key;
  instance.node = row.node;
  instance.status = row.status;
  return instance;
}
