import type { JournalLine } from "../../core/state.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["insertLines", "newestLines", "eraseLines", "pruneLines"] as const;

/** A stored line: the row's columns hold its user and moment. */
type StoredLine = Omit<JournalLine, "at" | "userId">;

/**
 * A line without its user and moment. Every field is named (an object rest would copy through a
 * slow runtime path): a field added to JournalLine and not here fails to compile.
 */
function stored(line: JournalLine): { [K in keyof Required<StoredLine>]: StoredLine[K] } {
  return {
    journeyId: line.journeyId,
    version: line.version,
    entryId: line.entryId,
    node: line.node,
    kind: line.kind,
    reason: line.reason,
    cause: line.cause,
    data: line.data,
  };
}

/**
 * The per-user audit trail. Consecutive lines of one user at one moment share a row (see
 * journal.sql): an entry into a wait writes one row and one index entry instead of two.
 */
export class JournalTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "journal.sql", STATEMENTS);
  }

  insert(project: string, lines: readonly JournalLine[]): void {
    let run: StoredLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as JournalLine;
      const { at, userId } = line;
      run.push(stored(line));
      const next = lines[i + 1];
      if (next !== undefined && next.userId === userId && next.at === at) continue;
      this.sql.insertLines.run(project, userId, at, JSON.stringify(run));
      run = [];
    }
  }

  /** The user's newest `limit` lines, oldest first. */
  newest(project: string, userId: string, limit: number): JournalLine[] {
    const newestFirst: JournalLine[] = [];
    if (limit <= 0) return newestFirst;
    const rows = this.sql.newestLines.iterate(project, userId) as IterableIterator<{
      at: number;
      body: string;
    }>;
    for (const { at, body } of rows) {
      const parsed = JSON.parse(body) as StoredLine[] | JournalLine;
      if (!Array.isArray(parsed)) {
        newestFirst.push(parsed);
      } else {
        for (let i = parsed.length - 1; i >= 0 && newestFirst.length < limit; i--) {
          newestFirst.push({ at, userId, ...(parsed[i] as StoredLine) });
        }
      }
      if (newestFirst.length >= limit) break; // leaving the loop resets the statement
    }
    return newestFirst.reverse();
  }

  erase(project: string, userId: string): void {
    this.sql.eraseLines.run(project, userId);
  }

  /** Deletes lines before `before` among the `limit` oldest rows; returns how many lines. */
  prune(before: number, limit: number): number {
    let lines = 0;
    for (const row of this.sql.pruneLines.all(limit, before) as { lines: number }[]) lines += row.lines;
    return lines;
  }
}
