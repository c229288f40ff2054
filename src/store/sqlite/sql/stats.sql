-- Per node journey statistics: counters written by commits (entered, exited, converted, and the
-- change in instances waiting), and send outcomes.

-- name: addCounters
-- params: project, journeyId, node, entered, exited, converted, waiting
INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (project, journey_id, node) DO UPDATE SET
  entered = entered + excluded.entered,
  exited = exited + excluded.exited,
  converted = converted + excluded.converted,
  waiting = waiting + excluded.waiting;

-- name: counters
-- params: project, journeyId
-- A row whose counts are all zero (its only waiting instance left again) is no stat.
SELECT node, entered, exited, converted, waiting FROM node_counters
WHERE project = ? AND journey_id = ?
  AND (entered != 0 OR exited != 0 OR converted != 0 OR waiting != 0)
ORDER BY node;

-- name: deliveryOutcomes
-- params: project, journeyId
SELECT node_id AS node,
  sum(status IN ('sent', 'delivered')) AS sent,
  sum(status IN ('failed', 'dead')) AS failed
FROM deliveries
WHERE project = ? AND journey_id = ?
GROUP BY node_id;
