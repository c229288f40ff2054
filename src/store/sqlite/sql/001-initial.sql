-- Migration 1: the embedded store and log. Parameters: none (run with exec).
-- Every row is scoped by project (tenant). Small, hot rows use WITHOUT ROWID tables so a lookup
-- is one b-tree descent; rows that can grow (profiles, deliveries, journal, documents) keep a
-- rowid so their primary-key index stays narrow.

-- Per partition: the log's last offset (kept here so offsets never go back after a trim), the
-- executor's consumed offset, and the fencing epoch of the partition's owner.
CREATE TABLE partitions (
  "partition" INTEGER PRIMARY KEY,
  log_end INTEGER NOT NULL DEFAULT 0,
  consumed_offset INTEGER NOT NULL DEFAULT 0,
  epoch INTEGER
);

CREATE TABLE log (
  "partition" INTEGER NOT NULL,
  "offset" INTEGER NOT NULL,
  project TEXT NOT NULL,
  event_id TEXT,
  input_json TEXT NOT NULL,
  appended_at INTEGER NOT NULL,
  PRIMARY KEY ("partition", "offset")
) WITHOUT ROWID;

-- Ids of appended inputs, kept apart from the log so deduplication survives trim.
CREATE TABLE event_ids (
  project TEXT NOT NULL,
  id TEXT NOT NULL,
  at INTEGER NOT NULL,
  PRIMARY KEY (project, id)
) WITHOUT ROWID;
CREATE INDEX event_ids_at ON event_ids (at);

CREATE TABLE profiles (
  project TEXT NOT NULL,
  user_id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (project, user_id)
);

-- The body holds the instance without the fields that are columns here.
CREATE TABLE instances (
  project TEXT NOT NULL,
  user_id TEXT NOT NULL,
  journey_id TEXT NOT NULL,
  key TEXT NOT NULL,
  node TEXT NOT NULL,
  status TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (project, user_id, journey_id, key)
) WITHOUT ROWID;
CREATE INDEX instances_journey ON instances (project, journey_id, user_id);

CREATE TABLE timers (
  project TEXT NOT NULL,
  user_id TEXT NOT NULL,
  id TEXT NOT NULL,
  due INTEGER NOT NULL,
  "partition" INTEGER NOT NULL,
  journey_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (project, user_id, id)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (due, user_id, id);

-- AUTOINCREMENT: a delivery id is never reused, even after the newest rows are erased.
CREATE TABLE deliveries (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  user_id TEXT NOT NULL,
  journey_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  entry_id TEXT NOT NULL,
  key TEXT NOT NULL,
  node_id TEXT NOT NULL,
  action_index INTEGER NOT NULL,
  channel TEXT NOT NULL,
  provider TEXT,
  address TEXT,
  payload TEXT NOT NULL,
  not_before INTEGER NOT NULL,
  expires_at INTEGER,
  skip_reason TEXT,
  created_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  reason TEXT,
  provider_message_id TEXT,
  updated_at INTEGER NOT NULL
);
-- Unique per project: another tenant's key must never suppress this tenant's message.
CREATE UNIQUE INDEX deliveries_key ON deliveries (idempotency_key, project);
-- Claims walk this one in due order; the others list a project's deliveries by id (the rowid
-- ends every index) under a filter.
CREATE INDEX deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_status ON deliveries (project, status);
CREATE INDEX deliveries_user ON deliveries (project, user_id);
CREATE INDEX deliveries_journey ON deliveries (project, journey_id);

CREATE TABLE journal (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  user_id TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX journal_user ON journal (project, user_id, at);

CREATE TABLE node_counters (
  project TEXT NOT NULL,
  journey_id TEXT NOT NULL,
  node TEXT NOT NULL,
  entered INTEGER NOT NULL,
  exited INTEGER NOT NULL,
  converted INTEGER NOT NULL,
  PRIMARY KEY (project, journey_id, node)
) WITHOUT ROWID;

CREATE TABLE documents (
  project TEXT NOT NULL,
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (project, kind, id)
);
