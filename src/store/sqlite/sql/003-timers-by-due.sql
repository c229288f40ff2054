-- Migration 3: timers keyed by (due, user, id, project), with no second index.
-- Keyed by (project, user, id) with an index on due, every wait wrote a leaf in each of two
-- b-trees and every fired timer deleted from both; the user-keyed one is written at random
-- places (a page per wait once it outgrows the page cache). A timer id names one due time (the
-- engine derives it from the due), so a cancellation knows where its row sits, and due order is
-- the only order timers are read in. Waits of one length are appended near the end of the
-- table, and fired timers are deleted from its start.
CREATE TABLE timers_by_due (
  due INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  id TEXT NOT NULL,
  project TEXT NOT NULL,
  "partition" INTEGER NOT NULL,
  journey_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (due, user_id, id, project)
) WITHOUT ROWID;
INSERT INTO timers_by_due (due, user_id, id, project, "partition", journey_id, key)
SELECT due, user_id, id, project, "partition", journey_id, key FROM timers
ORDER BY due, user_id, id, project;
DROP TABLE timers;
ALTER TABLE timers_by_due RENAME TO timers;
