import type { SqliteDatabase } from "./driver.js";
import { FencedError } from "./errors.js";
import { prepareSqlFile, type Statements } from "./sql-files.js";

const STATEMENTS = ["consumedOffset", "setConsumedOffset", "epoch", "setEpoch"] as const;

/** The executor's bookkeeping per partition: consumed offset and owner epoch. */
export class PartitionTable {
  private readonly sql: Statements<typeof STATEMENTS>;

  constructor(db: SqliteDatabase) {
    this.sql = prepareSqlFile(db, "partitions.sql", STATEMENTS);
  }

  consumedOffset(partition: number): number {
    const row = this.sql.consumedOffset.get(partition) as { consumed_offset: number } | undefined;
    return row?.consumed_offset ?? 0;
  }

  setConsumedOffset(partition: number, offset: number): void {
    this.sql.setConsumedOffset.run(partition, offset);
  }

  /** Records the owner's epoch; throws FencedError when a newer owner has already written. */
  fence(partition: number, epoch: number): void {
    const row = this.sql.epoch.get(partition) as { epoch: number | null } | undefined;
    const current = row?.epoch ?? null;
    if (current !== null && epoch < current) throw new FencedError(partition, epoch, current);
    if (current !== epoch) this.sql.setEpoch.run(partition, epoch);
  }
}
