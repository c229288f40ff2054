import type { Timer } from "../../core/state.js";
import type { StoredTimer, TimerCursor } from "../types.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = [
  "upsertTimer",
  "deleteTimer",
  "dueTimers",
  "timersBetween",
  "timersTiedAfter",
  "countTimers",
  "eraseTimers",
] as const;

interface TimerRow {
  project: string;
  user_id: string;
  id: string;
  due: number;
  partition: number;
  journey_id: string;
  key: string;
}

/** Durable timers, keyed by (project, user, timer id) and read in due order. */
export class TimerTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "timers.sql", STATEMENTS);
  }

  /** Sets timers (a timer set again with the same id moves). */
  put(project: string, partition: number, timers: readonly Timer[]): void {
    for (const timer of timers) {
      this.sql.upsertTimer.run(
        project,
        timer.userId,
        timer.id,
        timer.due,
        partition,
        timer.journeyId,
        timer.key,
      );
    }
  }

  delete(project: string, timers: readonly { userId: string; timerId: string }[]): void {
    for (const timer of timers) this.sql.deleteTimer.run(project, timer.userId, timer.timerId);
  }

  deleteStored(timers: readonly StoredTimer[]): void {
    for (const timer of timers) this.sql.deleteTimer.run(timer.project, timer.userId, timer.id);
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

  erase(project: string, userId: string): void {
    this.sql.eraseTimers.run(project, userId);
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
