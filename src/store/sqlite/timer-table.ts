import type { Timer } from "../../core/state.js";
import type { StoredTimer, TimerCursor, TimerKey } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "insertTimer",
  "deleteTimer",
  "dueTimers",
  "timersBetween",
  "timersTiedAfter",
  "countTimers",
  "timersOfUser",
] as const;

/** A row of `timersOfUser`. */
export interface UserTimerRow {
  due: number;
  id: string;
}

interface TimerRow {
  project: string;
  user_id: string;
  id: string;
  due: number;
  partition: number;
  journey_id: string;
  key: string;
}

/**
 * Durable timers, keyed by (due, user, timer id, project): the order they are read in, and where
 * a cancellation finds its row (a timer id names one due time). No index leads with the user.
 */
export class TimerTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "timers.sql", STATEMENTS);
  }

  /** Adds timers; one already stored is left as it is. */
  put(project: string, partition: number, timers: readonly Timer[]): void {
    for (const timer of timers) {
      this.sql.insertTimer.run(
        timer.due,
        timer.userId,
        timer.id,
        project,
        partition,
        timer.journeyId,
        timer.key,
      );
    }
  }

  delete(project: string, timers: readonly TimerKey[]): void {
    for (const timer of timers) this.sql.deleteTimer.run(timer.due, timer.userId, timer.timerId, project);
  }

  deleteStored(timers: readonly StoredTimer[]): void {
    for (const timer of timers) this.sql.deleteTimer.run(timer.due, timer.userId, timer.id, timer.project);
  }

  due(until: number, limit: number): StoredTimer[] {
    return (this.sql.dueTimers.all(until, limit) as TimerRow[]).map(timerFromRow);
  }

  /** Timers after the cursor; a full page is extended with any timers tied with its last one but for the project. */
  between(after: TimerCursor, until: number, limit: number): StoredTimer[] {
    const rows = this.sql.timersBetween.all(after.due, after.userId, after.id, until, limit) as TimerRow[];
    const last = rows[rows.length - 1];
    if (last && rows.length === limit) {
      const tied = this.sql.timersTiedAfter.all(last.due, last.user_id, last.id, last.project) as TimerRow[];
      for (const row of tied) rows.push(row);
    }
    return rows.map(timerFromRow);
  }

  count(): number {
    return (this.sql.countTimers.get() as { n: number }).n;
  }

  /** The user's timers, by walking the whole table (see SqliteStore.eraseUser). */
  ofUser(project: string, userId: string): UserTimerRow[] {
    return this.sql.timersOfUser.all(project, userId) as UserTimerRow[];
  }
}

function timerFromRow(row: TimerRow): StoredTimer {
  return {
    id: row.id,
    due: row.due,
    userId: row.user_id,
    journeyId: row.journey_id,
    key: row.key,
    project: row.project,
    partition: row.partition,
  };
}
