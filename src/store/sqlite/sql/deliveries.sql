-- The outbox: deliveries written by commits, claimed and updated by the dispatcher.

-- name: insertDelivery
-- params: project, idempotencyKey, userId, journeyId, version, entryId, key, nodeId, actionIndex,
--   channel, provider, address, payload, notBefore, expiresAt, skipReason, createdAt, status,
--   nextAttemptAt, reason, updatedAt
-- A replayed batch writes the same idempotency keys again: those rows are left as they are.
INSERT INTO deliveries (
  project, idempotency_key, user_id, journey_id, version, entry_id, key, node_id, action_index,
  channel, provider, address, payload, not_before, expires_at, skip_reason, created_at, status,
  attempts, next_attempt_at, reason, updated_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?)
ON CONFLICT (idempotency_key, project) DO NOTHING;

-- name: claimExpiredLeases
-- params: now, leaseExpiredBefore, limit
-- Rows left in 'sending' by a dispatcher that crashed before recording the outcome.
UPDATE deliveries SET updated_at = ?
WHERE id IN (
  SELECT id FROM deliveries WHERE status = 'sending' AND updated_at <= ? ORDER BY updated_at LIMIT ?
)
RETURNING *;

-- name: claimQueued
-- params: now, dueAt, limit
UPDATE deliveries SET status = 'sending', updated_at = ?
WHERE id IN (
  SELECT id FROM deliveries WHERE status = 'queued' AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?
)
RETURNING *;

-- name: updateDelivery
-- params: status, attempts, nextAttemptAt, setLastError (0/1), lastError, setReason (0/1), reason,
--   providerMessageId, updatedAt, id
-- NULL attempts / nextAttemptAt / providerMessageId keep the stored value.
UPDATE deliveries SET
  status = ?,
  attempts = coalesce(?, attempts),
  next_attempt_at = coalesce(?, next_attempt_at),
  last_error = CASE WHEN ? THEN ? ELSE last_error END,
  reason = CASE WHEN ? THEN ? ELSE reason END,
  provider_message_id = coalesce(?, provider_message_id),
  updated_at = ?
WHERE id = ?;

-- name: listByUser
-- params: project, userId, after, status, status, journeyId, journeyId, limit
SELECT * FROM deliveries
WHERE project = ? AND user_id = ? AND id > ?
  AND (? IS NULL OR status = ?) AND (? IS NULL OR journey_id = ?)
ORDER BY id
LIMIT ?;

-- name: listByJourney
-- params: project, journeyId, after, status, status, limit
SELECT * FROM deliveries
WHERE project = ? AND journey_id = ? AND id > ? AND (? IS NULL OR status = ?)
ORDER BY id
LIMIT ?;

-- name: listByStatus
-- params: project, status, after, limit
SELECT * FROM deliveries
WHERE project = ? AND status = ? AND id > ?
ORDER BY id
LIMIT ?;

-- name: listByProject
-- params: project, after, limit
-- The unary + keeps the planner on the id order (stopping at the limit) instead of sorting the
-- whole project.
SELECT * FROM deliveries WHERE +project = ? AND id > ? ORDER BY id LIMIT ?;

-- name: getDelivery
-- params: project, id
SELECT * FROM deliveries WHERE project = ? AND id = ?;

-- name: findByKey
-- params: idempotencyKey
SELECT * FROM deliveries WHERE idempotency_key = ? ORDER BY id LIMIT 1;

-- name: eraseDeliveries
-- params: project, userId
DELETE FROM deliveries WHERE project = ? AND user_id = ?;

-- name: countByStatus
-- params: status
-- Uses deliveries_due (status first): the dead-letter depth for metrics.
SELECT count(*) AS n FROM deliveries WHERE status = ?;
