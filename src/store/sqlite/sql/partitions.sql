-- Per partition bookkeeping of the executor: consumed offset and fencing epoch.

-- name: consumedOffset
-- params: partition
SELECT consumed_offset FROM partitions WHERE "partition" = ?;

-- name: setConsumedOffset
-- params: partition, consumedOffset
INSERT INTO partitions ("partition", consumed_offset) VALUES (?, ?)
ON CONFLICT ("partition") DO UPDATE SET consumed_offset = excluded.consumed_offset;

-- name: epoch
-- params: partition
SELECT epoch FROM partitions WHERE "partition" = ?;

-- name: setEpoch
-- params: partition, epoch
INSERT INTO partitions ("partition", epoch) VALUES (?, ?)
ON CONFLICT ("partition") DO UPDATE SET epoch = excluded.epoch;
