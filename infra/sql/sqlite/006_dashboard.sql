-- The progress dashboard (issue 12). Applied at start-up after 005.
-- When each host last synced, as the silo records it at the sync endpoint: throttled to once every two minutes per host
-- and written in batches every second. No row until the host's first sync since this script. A table of its own, as
-- in PostgreSQL (postgres/007_dashboard.sql says why); the overview and the Hosts page scan it.
CREATE TABLE IF NOT EXISTS host_presence (
    worker_id       TEXT PRIMARY KEY,
    last_synced_at  TEXT NOT NULL
);

-- A database from before kept the time in workers: its indexes and the column go (each host's time is recorded again
-- at its next sync, within two minutes).
DROP INDEX IF EXISTS workers_by_last_synced;
DROP INDEX IF EXISTS workers_by_last_seen;
ALTER TABLE workers DROP COLUMN last_synced_at;
