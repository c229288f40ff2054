-- Durable timers, one row per (due, user, timer id, project): the key is the order they are read in.

-- name: insertTimer
-- params: due, userId, id, project, partition, journeyId, key
-- A timer id names one due time, so a timer set again is the row already there.
INSERT INTO timers (due, user_id, id, project, "partition", journey_id, key) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT DO NOTHING;

-- name: deleteTimer
-- params: due, userId, id, project
DELETE FROM timers WHERE due = ? AND user_id = ? AND id = ? AND project = ?;

-- name: dueTimers
-- params: until, limit
SELECT project, user_id, id, due, "partition", journey_id, key FROM timers
WHERE due <= ?
ORDER BY due, user_id, id, project
LIMIT ?;

-- name: timersBetween
-- params: afterDue, afterUserId, afterId, until, limit
SELECT project, user_id, id, due, "partition", journey_id, key FROM timers
WHERE (due, user_id, id) > (?, ?, ?) AND due <= ?
ORDER BY due, user_id, id, project
LIMIT ?;

-- name: timersTiedAfter
-- params: due, userId, id, afterProject
-- The cursor has no project: a page must not end between timers that differ only by project.
SELECT project, user_id, id, due, "partition", journey_id, key FROM timers
WHERE due = ? AND user_id = ? AND id = ? AND project > ?
ORDER BY project;

-- name: countTimers
-- params: none
SELECT count(*) AS n FROM timers;

-- name: timersOfUser
-- params: project, userId
-- No index leads with the user: this walks the whole table (erasure runs it off the engine's
-- thread when it can, see SqliteStore.eraseUser).
SELECT due, id FROM timers WHERE project = ? AND user_id = ?;
