import { readdirSync, readFileSync } from "node:fs";
import type { SqliteDatabase, SqliteStatement } from "./driver.js";
import { SqlFileError } from "./errors.js";

/**
 * SQL lives in `sql/*.sql` next to this module (copied to dist by the build). A statement file
 * holds sections that start with `-- name: <statement>` followed by `-- params: <list>` naming
 * its positional parameters in order; migrations are whole files named `NNN-description.sql`.
 */
const SQL_DIR = new URL("./sql/", import.meta.url);

const NAME = /^--\s*name:\s*([A-Za-z][\w]*)\s*$/;
const PARAMS = /^--\s*params:/;
const MIGRATION = /^(\d{3})-[\w-]+\.sql$/;

/** The prepared statements of one file, by name. */
export type Statements<Names extends readonly string[]> = Record<Names[number], SqliteStatement>;

export interface Migration {
  version: number;
  file: string;
  sql: string;
}

/** Reads the text of a file in the sql folder. */
export function readSqlFile(file: string): string {
  try {
    return readFileSync(new URL(file, SQL_DIR), "utf8");
  } catch (error) {
    throw new SqlFileError(file, `cannot be read (${(error as Error).message})`);
  }
}

/** Splits a statement file into its named sections, comments and trailing semicolons removed. */
export function parseSqlSections(file: string, text: string): Map<string, string> {
  const sections = new Map<string, string>();
  const withParams = new Set<string>();
  let current: string | undefined;
  let lines: string[] = [];
  const close = (): void => {
    if (current === undefined) return;
    const sql = lines.join("\n").trim().replace(/;\s*$/, "");
    if (sql === "") throw new SqlFileError(file, `statement ${current} is empty`);
    if (!withParams.has(current))
      throw new SqlFileError(file, `statement ${current} lacks a "-- params:" line`);
    sections.set(current, sql);
  };
  for (const line of text.split("\n")) {
    const name = NAME.exec(line.trim());
    if (name) {
      close();
      current = name[1] as string;
      if (sections.has(current)) throw new SqlFileError(file, `statement ${current} is defined twice`);
      lines = [];
      continue;
    }
    if (current === undefined) continue;
    if (PARAMS.test(line.trim())) withParams.add(current);
    else if (!line.trim().startsWith("--")) lines.push(line);
  }
  close();
  return sections;
}

/** Prepares the named statements of one file, failing at startup when one is missing or extra. */
export function prepareSqlFile<N extends string>(
  db: SqliteDatabase,
  file: string,
  names: readonly N[],
): Record<N, SqliteStatement> {
  const sections = parseSqlSections(file, readSqlFile(file));
  const prepared = {} as Record<N, SqliteStatement>;
  for (const name of names) {
    const sql = sections.get(name);
    if (sql === undefined) throw new SqlFileError(file, `statement ${name} is missing`);
    try {
      prepared[name] = db.prepare(sql);
    } catch (error) {
      throw new SqlFileError(file, `statement ${name} does not compile: ${(error as Error).message}`);
    }
    sections.delete(name);
  }
  if (sections.size > 0)
    throw new SqlFileError(file, `unused statements: ${[...sections.keys()].join(", ")}`);
  return prepared;
}

/** The schema migrations in version order, read from `NNN-*.sql` files. */
export function readMigrations(): Migration[] {
  const migrations: Migration[] = [];
  for (const file of readdirSync(SQL_DIR).sort()) {
    const match = MIGRATION.exec(file);
    if (!match) continue;
    migrations.push({ version: Number(match[1]), file, sql: readSqlFile(file) });
  }
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new SqlFileError(migration.file, `expected migration version ${index + 1}`);
    }
  });
  return migrations;
}
