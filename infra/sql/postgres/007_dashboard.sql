-- The progress dashboard (issue 12). Safe to re-run.
-- When each host last synced, as the silos record it at the sync endpoint: throttled to once every two minutes per
-- host per silo and written in batches every second. No row until the host's first sync since this script.
-- A narrow table of its own, with room left on each page and no index on the time, so that PostgreSQL updates a row
-- in place (a HOT update: one heap page, no index entry). As a column of workers, each update wrote a new copy of the
-- host's whole row and an entry in each of its five indexes: with 100,000 volunteers, 500 such updates a second, the
-- most pages any table dirtied. The overview counts the hosts active since a time and the Hosts page sorts hosts by
-- when they were last seen by scanning it (see SqlWorkStore.Hosts.cs).
CREATE TABLE IF NOT EXISTS host_presence (
    worker_id       uuid PRIMARY KEY,
    last_synced_at  timestamptz NOT NULL
) WITH (fillfactor = 50);

-- A database from before: its times carried over, then the column dropped (with its two indexes), once.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM information_schema.columns
               WHERE table_schema = current_schema() AND table_name = 'workers' AND column_name = 'last_synced_at') THEN
        INSERT INTO host_presence (worker_id, last_synced_at)
            SELECT id, last_synced_at FROM workers WHERE last_synced_at IS NOT NULL
            ON CONFLICT (worker_id) DO NOTHING;
        ALTER TABLE workers DROP COLUMN last_synced_at;
    END IF;
END $$;
