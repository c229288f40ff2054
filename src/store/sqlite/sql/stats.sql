-- Per node journey statistics: counters written by commits, plus live counts.

-- name: addCounters
-- params: project, journeyId, node, entered, exited, converted
INSERT INTO node_counters (project, journey_id, node, entered, exited, converted) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (project, journey_id, node) DO UPDATE SET
  entered = entered + excluded.entered,
  exited = exited + excluded.exited,
  converted = converted + excluded.converted;

-- name: counters
-- params: project, journeyId
SELECT node, entered, exited, converted FROM node_counters WHERE project = ? AND journey_id = ?;

-- name: waiting
-- params: project, journeyId
-- Without the hint the planner may walk every instance of the project.
SELECT node, count(*) AS waiting FROM instances INDEXED BY instances_journey
WHERE project = ? AND journey_id = ? AND status IN ('active', 'held')
GROUP BY node;

-- name: deliveryOutcomes
-- params: project, journeyId
SELECT node_id AS node,
  sum(status IN ('sent', 'delivered')) AS sent,
  sum(status IN ('failed', 'dead')) AS failed
FROM deliveries
WHERE project = ? AND journey_id = ?
GROUP BY node_id;
