-- Profiles and journey instances: the per-user state the executor loads and commits.

-- name: loadProfiles
-- params: project, userIdsJson (a JSON array of user ids)
SELECT user_id, body FROM profiles
WHERE project = ? AND user_id IN (SELECT value FROM json_each(?));

-- name: loadInstances
-- params: project, userIdsJson (a JSON array of user ids)
SELECT user_id, journey_id, key, node, status, body FROM instances
WHERE project = ? AND user_id IN (SELECT value FROM json_each(?))
ORDER BY user_id, journey_id, key;

-- name: loadProfile
-- params: project, userId
-- One user: a point lookup, without json_each's table (see UserTable.load).
SELECT body FROM profiles WHERE project = ? AND user_id = ?;

-- name: loadUserInstances
-- params: project, userId
SELECT user_id, journey_id, key, node, status, body FROM instances
WHERE project = ? AND user_id = ?
ORDER BY journey_id, key;

-- name: upsertProfile
-- params: project, userId, body
INSERT INTO profiles (project, user_id, body) VALUES (?, ?, ?)
ON CONFLICT (project, user_id) DO UPDATE SET body = excluded.body;

-- name: upsertInstance
-- params: project, userId, journeyId, key, node, status, body
INSERT INTO instances (project, user_id, journey_id, key, node, status, body) VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, user_id, journey_id, key)
DO UPDATE SET node = excluded.node, status = excluded.status, body = excluded.body;

-- name: userIds
-- params: project, afterUser, limit
SELECT user_id FROM profiles WHERE project = ? AND user_id > ? ORDER BY user_id LIMIT ?;

-- name: instancesOfJourney
-- params: project, journeyId, project, journeyId, afterUser, limit
-- The limit counts users, so a user's instances are never split across two pages. There is no
-- index by journey (004-waiting-counts.sql): the inner query walks the instances' key from
-- afterUser on and skips other journeys' rows, so walking a whole journey reads every instance
-- of the project once.
SELECT user_id, journey_id, key, node, status, body FROM instances
WHERE project = ? AND journey_id = ? AND user_id IN (
  SELECT DISTINCT user_id FROM instances
  WHERE project = ? AND journey_id = ? AND user_id > ?
  ORDER BY user_id
  LIMIT ?
)
ORDER BY user_id, key;

-- name: eraseProfile
-- params: project, userId
DELETE FROM profiles WHERE project = ? AND user_id = ?;

-- name: eraseInstances
-- params: project, userId
DELETE FROM instances WHERE project = ? AND user_id = ?;
