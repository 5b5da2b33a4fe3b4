-- The progress dashboard (issue 12). Safe to re-run.
-- When each host last synced, as the silos record it at the sync endpoint: throttled to once a minute per host per
-- silo and written in batches, so it is at most a minute and a flush (10 s) behind. Null until its first sync
-- since this script. The overview counts hosts, volunteers and cores active since a time from the first index alone;
-- the Hosts page lists hosts most recently seen (synced, else attached) first, a page at a time, by the second.
ALTER TABLE workers ADD COLUMN IF NOT EXISTS last_synced_at timestamptz;
CREATE INDEX IF NOT EXISTS workers_by_last_synced ON workers (last_synced_at, account_id, cores);
CREATE INDEX IF NOT EXISTS workers_by_last_seen ON workers ((COALESCE(last_synced_at, created_at)), id);
