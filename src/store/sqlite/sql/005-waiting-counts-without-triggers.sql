-- Migration 5: no triggers on instances. An early build of schema 4 (commit 5d9d57f, never
-- released) kept the waiting counts with three triggers on `instances`; since then each commit
-- moves the counts itself, so with the triggers every change would count twice. A file that has
-- them gets its counts taken again from the instances, and loses them; any other file is left
-- as it is (the conditions below hold only where the first trigger exists).

UPDATE node_counters SET waiting = 0
WHERE EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'instances_waiting_insert');

INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
SELECT project, journey_id, node, 0, 0, 0, count(*) FROM instances
WHERE status IN ('active', 'held')
  AND EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'trigger' AND name = 'instances_waiting_insert')
GROUP BY project, journey_id, node
ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = excluded.waiting;

DROP TRIGGER IF EXISTS instances_waiting_insert;
DROP TRIGGER IF EXISTS instances_waiting_update;
DROP TRIGGER IF EXISTS instances_waiting_delete;
