import type { JournalLine } from "../../core/state.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["insertLines", "newestLines", "eraseLines", "pruneLines"] as const;

/** A line as earlier releases stored it: an object without the user and moment. */
type NamedLine = Omit<JournalLine, "at" | "userId">;

/**
 * A stored line: its fields by position, without the user and moment the row's columns hold;
 * absent optional fields are null and trailing nulls are left out. Positions instead of names
 * keep an entry into a wait (two lines) about 120 B smaller and quicker to stringify.
 */
type PositionalLine = [
  journeyId: string | null,
  version: number | null,
  entryId: string | null,
  node: string | null,
  kind: JournalLine["kind"],
  reason: string,
  cause?: string | null,
  data?: JournalLine["data"] | null,
];

/** The fields a stored line holds (with the row's): a field added to JournalLine and not here fails to compile. */
type Encoded =
  | "at"
  | "userId"
  | "journeyId"
  | "version"
  | "entryId"
  | "node"
  | "kind"
  | "reason"
  | "cause"
  | "data";
const EVERY_FIELD_ENCODED: Record<Exclude<keyof JournalLine, Encoded>, never> = {};
void EVERY_FIELD_ENCODED;

function encodeLine(line: JournalLine): PositionalLine {
  const body: PositionalLine = [
    line.journeyId ?? null,
    line.version ?? null,
    line.entryId ?? null,
    line.node ?? null,
    line.kind,
    line.reason,
    line.cause ?? null,
    line.data ?? null,
  ];
  while (body.length > 6 && body[body.length - 1] === null) body.pop();
  return body;
}

/** A stored line back with its user and moment; fields in JournalLine's order. */
function decodeLine(at: number, userId: string, stored: PositionalLine | NamedLine): JournalLine {
  if (!Array.isArray(stored)) return { at, userId, ...stored };
  const [journeyId, version, entryId, node, kind, reason, cause, data] = stored;
  const line = { at, userId } as JournalLine;
  if (journeyId != null) line.journeyId = journeyId;
  if (version != null) line.version = version;
  if (entryId != null) line.entryId = entryId;
  if (node != null) line.node = node;
  line.kind = kind;
  line.reason = reason;
  if (cause != null) line.cause = cause;
  if (data != null) line.data = data;
  return line;
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
    let run: PositionalLine[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as JournalLine;
      const { at, userId } = line;
      run.push(encodeLine(line));
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
      // A row holds an array of lines (by position, or by name before positions), or, written
      // by releases before lines shared rows, one line object with its user and moment.
      const parsed = JSON.parse(body) as (PositionalLine | NamedLine)[] | JournalLine;
      if (!Array.isArray(parsed)) {
        newestFirst.push(parsed);
      } else {
        for (let i = parsed.length - 1; i >= 0 && newestFirst.length < limit; i--) {
          newestFirst.push(decodeLine(at, userId, parsed[i] as PositionalLine | NamedLine));
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
