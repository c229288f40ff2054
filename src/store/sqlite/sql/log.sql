-- The log: inputs in append order (`seq`), each at an offset of its partition, and the ids that
-- deduplicate them. Where each partition's entries sit is kept in memory (log-positions.ts).

-- name: claimEventId
-- params: project, id, at
-- Inserts nothing (changes = 0) when the id was already appended: the entry is a duplicate.
INSERT INTO event_ids (project, id, at) VALUES (?, ?, ?)
ON CONFLICT (project, id) DO NOTHING;

-- name: reserveOffsets
-- params: partition, count
-- Moves the partition's end forward by count and returns the new end.
INSERT INTO partitions ("partition", log_end) VALUES (?, ?)
ON CONFLICT ("partition") DO UPDATE SET log_end = log_end + excluded.log_end
RETURNING log_end;

-- name: insertEntry
-- params: partition, offset, project, eventId, inputJson, appendedAt
-- The new row's seq is its rowid (one past the largest): appends fill the table's last page.
INSERT INTO log ("partition", "offset", project, event_id, input_json, appended_at)
VALUES (?, ?, ?, ?, ?, ?);

-- name: entriesAt
-- params: seqsJson (a JSON array of seqs)
-- Read as arrays in this column order (log-writer.ts EntryRow).
SELECT "partition", "offset", project, input_json, appended_at FROM log
WHERE seq IN (SELECT value FROM json_each(?))
ORDER BY seq;

-- name: positionsAfter
-- params: seq, partition
-- The entries of one partition appended after a seq (rows another connection appended).
SELECT seq, "offset" FROM log WHERE seq > ? AND "partition" = ? ORDER BY seq;

-- name: allPositions
-- params: none
SELECT seq, "partition", "offset" FROM log ORDER BY seq;

-- name: bounds
-- params: none
-- Per partition: the last offset (kept here so offsets never go back after a trim) and the trim point.
SELECT "partition", log_end, log_start FROM partitions;

-- name: bound
-- params: partition
SELECT log_end, log_start FROM partitions WHERE "partition" = ?;

-- name: setStart
-- params: upTo, partition
UPDATE partitions SET log_start = max(log_start, min(?, log_end)) WHERE "partition" = ?;

-- name: deleteBefore
-- params: seq
DELETE FROM log WHERE seq < ?;

-- name: pruneEventIds
-- params: before
DELETE FROM event_ids WHERE at < ?;
