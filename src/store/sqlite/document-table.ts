import type { JsonObject } from "../../core/model.js";
import type { SqliteDatabase } from "./driver.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["putDocument", "getDocument", "listDocuments", "deleteDocument"] as const;

/** JSON documents by (project, kind, id): journeys, versions, templates, segments, providers, keys. */
export class DocumentTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "documents.sql", STATEMENTS);
  }

  put(project: string, kind: string, id: string, body: JsonObject): void {
    this.sql.putDocument.run(project, kind, id, JSON.stringify(body));
  }

  get(project: string, kind: string, id: string): JsonObject | undefined {
    const row = this.sql.getDocument.get(project, kind, id) as { body: string } | undefined;
    return row && (JSON.parse(row.body) as JsonObject);
  }

  /** Every document of a kind, ordered by id. */
  list(project: string, kind: string): { id: string; body: JsonObject }[] {
    const rows = this.sql.listDocuments.all(project, kind) as { id: string; body: string }[];
    return rows.map((row) => ({ id: row.id, body: JSON.parse(row.body) as JsonObject }));
  }

  /** Deletes a document; false when there was none. */
  delete(project: string, kind: string, id: string): boolean {
    return this.sql.deleteDocument.run(project, kind, id).changes > 0;
  }
}
