-- Fencing of job grain activations (issue 9). Safe to re-run.
-- During a partition Orleans can briefly run two activations of one job's grain. Each running job's activation
-- claims the next epoch (UPDATE ... SET epoch = epoch + 1) before it reads the job, and every batch it commits
-- checks, under the row's lock, that the epoch is still its own: a stale activation's batch is refused whole.
-- A job starts at 0, the epoch of the activation that submitted it; jobs from before this script start there too.

ALTER TABLE jobs ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL DEFAULT 0;
