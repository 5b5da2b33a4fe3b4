-- Fencing of job grain activations (issue 9). Applied at start-up after 002; the ALTER TABLE runs only when
-- the column is missing. Each running job's activation claims the next epoch before it reads the job, and every
-- batch it commits checks that the epoch is still its own, so a stale activation's batch is refused whole.
-- A job starts at 0, the epoch of the activation that submitted it; jobs from before this script start there too.

ALTER TABLE jobs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
