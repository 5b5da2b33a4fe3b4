-- The progress dashboard (issue 12). Applied at start-up after 005.
-- When each host last synced, as the silo records it at the sync endpoint: throttled to once a minute per host and
-- written in batches, so it is at most a minute and a flush (10 s) behind. Null until its first sync since this
-- script. The overview counts hosts, volunteers and cores active since a time from the first index alone; the Hosts
-- page lists hosts most recently seen (synced, else attached) first, a page at a time, by the second.
ALTER TABLE workers ADD COLUMN last_synced_at TEXT;
CREATE INDEX IF NOT EXISTS workers_by_last_synced ON workers (last_synced_at, account_id, cores);
CREATE INDEX IF NOT EXISTS workers_by_last_seen ON workers (COALESCE(last_synced_at, created_at), id);
