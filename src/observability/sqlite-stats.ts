import { stat } from "node:fs/promises";
import { Gauge, type Registry } from "prom-client";

/** The slice of a SQLite connection the stats need (SqliteConnection has it). */
export interface SqliteFile {
  readonly path: string;
  readonly isOpen: boolean;
  readonly db: { pragma(source: string, options?: { simple?: boolean }): unknown };
}

/**
 * SQLite file gauges, read on scrape: file and WAL sizes from the file system, page counts from
 * pragmas (each a constant-time read of the header).
 */
export function registerSqliteStats(registry: Registry, file: SqliteFile): void {
  const registers = [registry];
  const onDisk = file.path !== ":memory:" && file.path !== "";
  new Gauge({
    name: "journeys_sqlite_file_bytes",
    help: "Size of the SQLite database file.",
    registers,
    async collect() {
      if (onDisk) this.set(await sizeOf(file.path));
    },
  });
  new Gauge({
    name: "journeys_sqlite_wal_bytes",
    help: "Size of the SQLite write-ahead log (reset by checkpoints).",
    registers,
    async collect() {
      if (onDisk) this.set(await sizeOf(`${file.path}-wal`));
    },
  });
  const pragma = (name: string, help: string, source: string) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        if (!file.isOpen) return;
        const value = file.db.pragma(source, { simple: true });
        if (typeof value === "number") this.set(value);
      },
    });
  pragma("journeys_sqlite_pages", "Pages in the database file.", "page_count");
  pragma(
    "journeys_sqlite_freelist_pages",
    "Unused pages in the database file (reused before it grows).",
    "freelist_count",
  );
  pragma("journeys_sqlite_page_size_bytes", "Size of one database page.", "page_size");
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    // No WAL file between checkpoints that truncate it, or a file being replaced: size zero.
    return 0;
  }
}
