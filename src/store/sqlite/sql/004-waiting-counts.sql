-- Migration 4: live counts of waiting instances per node, kept by triggers, instead of an index.
-- `instances_journey` (project, journey, user) served two readers: journey stats, which counted
-- a journey's waiting instances row by row, and the rare walk over a journey's users (stopping
-- or migrating it). Every new instance wrote a leaf in it at a random place. The stats now read
-- a count the triggers below keep in the same transaction as every change to an instance (the
-- executor's commits, erasure, any other writer), and the walk pages through the instances'
-- own key (project, user, journey, key), skipping other journeys' rows.
-- Waiting means status active or held, as the stats counted before.

ALTER TABLE node_counters ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;

INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
SELECT project, journey_id, node, 0, 0, 0, count(*) FROM instances
WHERE status IN ('active', 'held')
GROUP BY project, journey_id, node
ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = excluded.waiting;

DROP INDEX instances_journey;

CREATE TRIGGER instances_waiting_insert AFTER INSERT ON instances
WHEN new.status IN ('active', 'held')
BEGIN
  INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
  VALUES (new.project, new.journey_id, new.node, 0, 0, 0, 1)
  ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = waiting + 1;
END;

CREATE TRIGGER instances_waiting_update AFTER UPDATE OF node, status ON instances
WHEN old.node IS NOT new.node
  OR (old.status IN ('active', 'held')) IS NOT (new.status IN ('active', 'held'))
BEGIN
  UPDATE node_counters SET waiting = waiting - 1
  WHERE old.status IN ('active', 'held')
    AND project = old.project AND journey_id = old.journey_id AND node = old.node;
  INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
  SELECT new.project, new.journey_id, new.node, 0, 0, 0, 1
  WHERE new.status IN ('active', 'held')
  ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = waiting + 1;
END;

CREATE TRIGGER instances_waiting_delete AFTER DELETE ON instances
WHEN old.status IN ('active', 'held')
BEGIN
  UPDATE node_counters SET waiting = waiting - 1
  WHERE project = old.project AND journey_id = old.journey_id AND node = old.node;
END;
