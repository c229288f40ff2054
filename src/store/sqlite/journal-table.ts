import type { JournalLine } from "../../core/state.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["insertLine", "newestLines", "eraseLines", "pruneLines"] as const;

/** The per-user audit trail. */
export class JournalTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "journal.sql", STATEMENTS);
  }

  insert(project: string, lines: readonly JournalLine[]): void {
    for (const line of lines) this.sql.insertLine.run(project, line.userId, line.at, JSON.stringify(line));
  }

  /** The user's newest `limit` lines, oldest first. */
  newest(project: string, userId: string, limit: number): JournalLine[] {
    const rows = this.sql.newestLines.all(project, userId, limit) as { body: string }[];
    const lines = new Array<JournalLine>(rows.length);
    for (let i = 0; i < rows.length; i++) {
      lines[rows.length - 1 - i] = JSON.parse((rows[i] as { body: string }).body) as JournalLine;
    }
    return lines;
  }

  erase(project: string, userId: string): void {
    this.sql.eraseLines.run(project, userId);
  }

  /** Deletes lines before `before` among the `limit` oldest rows; returns how many. */
  prune(before: number, limit: number): number {
    return this.sql.pruneLines.run(limit, before).changes;
  }
}
