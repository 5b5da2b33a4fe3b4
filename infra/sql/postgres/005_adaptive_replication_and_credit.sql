-- Adaptive replication and credit (issue 10). Safe to re-run.
-- Jobs and units from before this script keep every unit at the job's quorum: not adaptive, and a unit quorum of
-- 0, which means the job's. The coordinator always writes both, so the defaults serve only the old rows.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS adaptive boolean NOT NULL DEFAULT false;
ALTER TABLE jobs ALTER COLUMN adaptive DROP DEFAULT;
ALTER TABLE units ADD COLUMN IF NOT EXISTS quorum integer NOT NULL DEFAULT 0;
ALTER TABLE units ALTER COLUMN quorum DROP DEFAULT;
-- An account's hosts, oldest first (the public account view).
CREATE INDEX IF NOT EXISTS workers_by_account ON workers (account_id, created_at, id);
-- A host's record with each app (BOINC's host_app_version). Each commit adds a stretch to it: counts and
-- turnarounds add up; an invalid result in the stretch restarts the run of valid results.
CREATE TABLE IF NOT EXISTS host_reliability (
    worker_id           uuid NOT NULL,
    app                 text NOT NULL,
    valid               bigint NOT NULL,
    invalid             bigint NOT NULL,
    errors              bigint NOT NULL,
    timed_out           bigint NOT NULL,
    consecutive_valid   bigint NOT NULL,   -- valid results since the last invalid one: what adaptive replication trusts
    turnaround_seconds  double precision NOT NULL,   -- summed over reported results, from issue to report
    turnarounds         bigint NOT NULL,
    updated_at          timestamptz NOT NULL,
    PRIMARY KEY (worker_id, app)
);
-- Credit as granted on validation (a positive amount) and taken back (a negative one); written once, never changed.
CREATE TABLE IF NOT EXISTS credit_ledger (
    id          uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    worker_id   uuid NOT NULL,
    job_id      uuid NOT NULL,
    unit_index  bigint NOT NULL,
    replica     integer NOT NULL,
    amount      double precision NOT NULL,
    earned_at   timestamptz NOT NULL,   -- the validation the credit stands for
    written_at  timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS credit_ledger_by_account ON credit_ledger (account_id, written_at DESC, id);
CREATE INDEX IF NOT EXISTS credit_ledger_by_worker ON credit_ledger (worker_id, written_at DESC, id);
-- Each account's and host's credit, added to in the commit of each ledger line; never recomputed from the ledger.
CREATE TABLE IF NOT EXISTS credit_totals (
    holder          text NOT NULL,      -- Account or Host
    holder_id       uuid NOT NULL,
    total           double precision NOT NULL,
    decayed_credit  double precision NOT NULL,   -- amounts weighted by when they were earned (CreditDecay)
    valid_results   bigint NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (holder, holder_id)
);
-- The leaderboard, by total and by recent average.
CREATE INDEX IF NOT EXISTS credit_totals_by_total ON credit_totals (holder, total DESC, holder_id);
CREATE INDEX IF NOT EXISTS credit_totals_by_recent ON credit_totals (holder, decayed_credit DESC, holder_id);
-- Hosts returning more valid results than their cores could compute; a later flag replaces the earlier one.
CREATE TABLE IF NOT EXISTS host_flags (
    worker_id          uuid NOT NULL,
    app                text NOT NULL,
    flagged_at         timestamptz NOT NULL,
    results_per_hour   double precision NOT NULL,
    capacity_per_hour  double precision NOT NULL,
    reason             text NOT NULL,
    PRIMARY KEY (worker_id, app)
);
CREATE INDEX IF NOT EXISTS host_flags_newest ON host_flags (flagged_at DESC, worker_id, app);
