-- The log: ordered inputs per partition, and the ids that deduplicate them.

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
INSERT INTO log ("partition", "offset", project, event_id, input_json, appended_at)
VALUES (?, ?, ?, ?, ?, ?);

-- name: readEntries
-- params: partition, after, max
SELECT "offset", project, input_json, appended_at FROM log
WHERE "partition" = ? AND "offset" > ?
ORDER BY "offset"
LIMIT ?;

-- name: end
-- params: partition
SELECT log_end FROM partitions WHERE "partition" = ?;

-- name: trim
-- params: partition, upTo
DELETE FROM log WHERE "partition" = ? AND "offset" <= ?;

-- name: pruneEventIds
-- params: before
DELETE FROM event_ids WHERE at < ?;
