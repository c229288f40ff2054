-- Durable timers, one row per (project, user, timer id), read in (due, user, id) order.

-- name: upsertTimer
-- params: project, userId, id, due, partition, journeyId, key
INSERT INTO timers (project, user_id, id, due, "partition", journey_id, key) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, user_id, id)
DO UPDATE SET due = excluded.due, "partition" = excluded."partition", journey_id = excluded.journey_id,
  key = excluded.key;

-- name: deleteTimer
-- params: project, userId, id
DELETE FROM timers WHERE project = ? AND user_id = ? AND id = ?;

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

-- name: eraseTimers
-- params: project, userId
DELETE FROM timers WHERE project = ? AND user_id = ?;
