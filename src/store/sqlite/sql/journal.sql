-- The journal: one line per step of a user, newest read first then returned oldest first.
-- A row holds a run of a user's lines at one moment written by one commit (an entry and its
-- wait, a step and its send), as a JSON array without the `userId` and `at` the columns hold;
-- rows written before that hold one line as a whole object.

-- name: insertLines
-- params: project, userId, at, body
INSERT INTO journal (project, user_id, at, body) VALUES (?, ?, ?, ?);

-- name: newestLines
-- params: project, userId
SELECT at, body FROM journal WHERE project = ? AND user_id = ? ORDER BY at DESC, id DESC;

-- name: eraseLines
-- params: project, userId
DELETE FROM journal WHERE project = ? AND user_id = ?;

-- name: pruneLines
-- params: limit, before
-- Rows are inserted in time order, so the oldest ids hold the oldest lines: each call looks at
-- the `limit` oldest rows only (a rowid range, no scan of the table) and deletes those before.
-- Returns the number of lines each deleted row held.
DELETE FROM journal WHERE id IN (SELECT id FROM journal ORDER BY id LIMIT ?) AND at < ?
RETURNING CASE WHEN json_type(body) = 'array' THEN json_array_length(body) ELSE 1 END AS lines;
