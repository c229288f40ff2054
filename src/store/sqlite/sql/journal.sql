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

-- name: pruneLines
-- params: limit, before
-- Rows are inserted in time order, so the oldest ids hold the oldest lines: each call looks at
-- the `limit` oldest rows only (a rowid range, no scan of the table) and deletes those before.
DELETE FROM journal WHERE id IN (SELECT id FROM journal ORDER BY id LIMIT ?) AND at < ?;
