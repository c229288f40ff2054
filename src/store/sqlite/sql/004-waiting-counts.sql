-- Migration 4: live counts of waiting instances per node instead of an index by journey.
-- `instances_journey` (project, journey, user) served two readers: journey stats (and the
-- metrics scrape), which counted a journey's waiting instances row by row, and the rare walk
-- over a journey's users (publishing, pausing, resuming or archiving it). Every new instance wrote a leaf in it at a
-- random place. The count is now a column of node_counters, moved by each commit's counters
-- (the executor derives them from the instances it changes) and by erasure; the walk pages
-- through the instances' own key (project, user, journey, key), skipping other journeys' rows.
-- Waiting means status active or held, as the stats counted before.

ALTER TABLE node_counters ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;

INSERT INTO node_counters (project, journey_id, node, entered, exited, converted, waiting)
SELECT project, journey_id, node, 0, 0, 0, count(*) FROM instances
WHERE status IN ('active', 'held')
GROUP BY project, journey_id, node
ON CONFLICT (project, journey_id, node) DO UPDATE SET waiting = excluded.waiting;

DROP INDEX instances_journey;
