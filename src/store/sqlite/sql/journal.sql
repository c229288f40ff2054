-- The journal: one line per step of a user, newest read first then returned oldest first.

-- name: insertLine
-- params: project, userId, at, body
INSERT INTO journal (project, user_id, at, body) VALUES (?, ?, ?, ?);

-- name: newestLines
-- params: project, userId, limit
SELECT body FROM journal WHERE project = ? AND user_id = ? ORDER BY at DESC, id DESC LIMIT ?;

-- name: eraseLines
-- params: project, userId
DELETE FROM journal WHERE project = ? AND user_id = ?;
