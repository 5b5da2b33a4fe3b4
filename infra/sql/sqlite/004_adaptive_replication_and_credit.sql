-- Adaptive replication and credit (issue 10). Applied at start-up after 003; each ALTER TABLE runs only when the
-- column is missing. Jobs and units from before this script keep every unit at the job's quorum: not adaptive
-- (0), and a unit quorum of 0, which means the job's.
ALTER TABLE jobs ADD COLUMN adaptive INTEGER NOT NULL DEFAULT 0;     -- a boolean: 0 or 1
ALTER TABLE units ADD COLUMN quorum INTEGER NOT NULL DEFAULT 0;
-- An account's hosts, oldest first (the public account view).
CREATE INDEX IF NOT EXISTS workers_by_account ON workers (account_id, created_at, id);
-- A host's record with each app (BOINC's host_app_version). Each commit adds a stretch to it: counts and
-- turnarounds add up; an invalid result in the stretch restarts the run of valid results.
CREATE TABLE IF NOT EXISTS host_reliability (
    worker_id           TEXT NOT NULL,
    app                 TEXT NOT NULL,
    valid               INTEGER NOT NULL,
    invalid             INTEGER NOT NULL,
    errors              INTEGER NOT NULL,
    timed_out           INTEGER NOT NULL,
    consecutive_valid   INTEGER NOT NULL,   -- valid results since the last invalid one: what adaptive replication trusts
    turnaround_seconds  REAL NOT NULL,      -- summed over reported results, from issue to report
    turnarounds         INTEGER NOT NULL,
    updated_at          TEXT NOT NULL,
    PRIMARY KEY (worker_id, app)
) WITHOUT ROWID;
-- Credit as granted on validation (a positive amount) and taken back (a negative one); written once, never changed.
CREATE TABLE IF NOT EXISTS credit_ledger (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL,
    worker_id   TEXT NOT NULL,
    job_id      TEXT NOT NULL,
    unit_index  INTEGER NOT NULL,
    replica     INTEGER NOT NULL,
    amount      REAL NOT NULL,
    earned_at   TEXT NOT NULL,          -- the validation the credit stands for
    written_at  TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS credit_ledger_by_account ON credit_ledger (account_id, written_at DESC, id);
CREATE INDEX IF NOT EXISTS credit_ledger_by_worker ON credit_ledger (worker_id, written_at DESC, id);
-- Each account's and host's credit, added to in the commit of each ledger line; never recomputed from the ledger.
CREATE TABLE IF NOT EXISTS credit_totals (
    holder          TEXT NOT NULL,      -- Account or Host
    holder_id       TEXT NOT NULL,
    total           REAL NOT NULL,
    decayed_credit  REAL NOT NULL,      -- amounts weighted by when they were earned (CreditDecay)
    valid_results   INTEGER NOT NULL,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (holder, holder_id)
) WITHOUT ROWID;
-- The leaderboard, by total and by recent average.
CREATE INDEX IF NOT EXISTS credit_totals_by_total ON credit_totals (holder, total DESC, holder_id);
CREATE INDEX IF NOT EXISTS credit_totals_by_recent ON credit_totals (holder, decayed_credit DESC, holder_id);
-- Hosts returning more valid results than their cores could compute; a later flag replaces the earlier one.
CREATE TABLE IF NOT EXISTS host_flags (
    worker_id          TEXT NOT NULL,
    app                TEXT NOT NULL,
    flagged_at         TEXT NOT NULL,
    results_per_hour   REAL NOT NULL,
    capacity_per_hour  REAL NOT NULL,
    reason             TEXT NOT NULL,
    PRIMARY KEY (worker_id, app)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS host_flags_newest ON host_flags (flagged_at DESC, worker_id, app);
