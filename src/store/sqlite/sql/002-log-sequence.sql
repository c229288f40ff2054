-- Migration 2: the log keyed by one append sequence instead of (partition, offset).
-- With (partition, offset) as the key every append rewrote the last page of each partition it
-- touched (up to 64 pages for a few events); keyed by `seq` an append fills the one last page.
-- Where a partition's entries sit is kept in memory (LogPositions), rebuilt from this table at
-- open. `log_start` records each partition's trim point, since a trimmed entry may stay in the
-- table until every partition has trimmed past it (the table is cut by `seq` from the front).

ALTER TABLE partitions ADD COLUMN log_start INTEGER NOT NULL DEFAULT 0;
UPDATE partitions SET log_start = coalesce(
  (SELECT min(log."offset") - 1 FROM log WHERE log."partition" = partitions."partition"),
  log_end
);

CREATE TABLE log_by_seq (
  seq INTEGER PRIMARY KEY,
  "partition" INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  project TEXT NOT NULL,
  event_id TEXT,
  input_json TEXT NOT NULL,
  appended_at INTEGER NOT NULL
);
INSERT INTO log_by_seq ("partition", "offset", project, event_id, input_json, appended_at)
SELECT "partition", "offset", project, event_id, input_json, appended_at FROM log
ORDER BY "offset", "partition";
DROP TABLE log;
ALTER TABLE log_by_seq RENAME TO log;
