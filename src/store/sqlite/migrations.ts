import type { SqliteDatabase } from "./driver.js";
import { SchemaTooNewError } from "./errors.js";
import { readMigrations } from "./sql-files.js";

export interface MigrationReport {
  from: number;
  to: number;
}

/** The schema version recorded in the file (SQLite's `user_version`, 0 for a new file). */
export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma("user_version", { simple: true }) as number;
}

/**
 * Brings the schema to the newest version. Each migration runs in its own transaction together
 * with the `user_version` bump, so a crash leaves the file at a whole version and running again
 * is a no-op.
 */
export function migrate(db: SqliteDatabase, path: string): MigrationReport {
  const migrations = readMigrations();
  const latest = migrations.length;
  const from = schemaVersion(db);
  if (from > latest) throw new SchemaTooNewError(path, from, latest);
  for (const migration of migrations) {
    if (migration.version <= from) continue;
    db.transaction(() => {
      // Another process may have migrated between our read and our write lock.
      if (schemaVersion(db) >= migration.version) return;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return { from, to: Math.max(from, latest) };
}
