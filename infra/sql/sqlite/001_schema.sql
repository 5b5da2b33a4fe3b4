-- Volunteer embedded store (SQLite). Applied at start-up; every statement is idempotent.
-- Times are ISO-8601 text in UTC (so they sort as text); ids are GUID text.
-- The coordinator describes each table once (Storage/Tables/StoreTables.cs) and generates its statements
-- from that; the store conformance tests check that these tables have exactly the described columns.

CREATE TABLE IF NOT EXISTS api_keys (
    key_hash    TEXT PRIMARY KEY,       -- SHA-256 of the key; the key itself is never stored
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS workers (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL,          -- SHA-256 of the worker's secret token
    public_key  TEXT NOT NULL,          -- ECDSA P-256 SubjectPublicKeyInfo, base64; verifies reports
    cores       INTEGER NOT NULL,
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS jobs (
    id                 TEXT PRIMARY KEY,
    app                TEXT NOT NULL,
    parameters         TEXT NOT NULL,
    target_results     INTEGER NOT NULL,
    min_quorum         INTEGER NOT NULL,
    max_error_results  INTEGER NOT NULL,
    max_total_results  INTEGER NOT NULL,
    deadline_seconds   INTEGER NOT NULL,
    priority           INTEGER NOT NULL,
    unit_count         INTEGER NOT NULL,
    units_opened       INTEGER NOT NULL,   -- split cursor: later units exist only lazily
    units_assimilated  INTEGER NOT NULL,
    units_failed       INTEGER NOT NULL,
    state              TEXT NOT NULL,
    accumulated        TEXT NOT NULL,      -- the reducer's running result
    failure_reason     TEXT,
    created_at         TEXT NOT NULL,
    finished_at        TEXT
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created_at);

CREATE TABLE IF NOT EXISTS units (
    job_id             TEXT NOT NULL,
    unit_index         INTEGER NOT NULL,
    input              TEXT NOT NULL,
    state              TEXT NOT NULL,
    replica_count      INTEGER NOT NULL,
    canonical_replica  INTEGER,
    PRIMARY KEY (job_id, unit_index)
) WITHOUT ROWID;

-- A job's grain loads only the units still in play; finished ones stay on disk.
CREATE INDEX IF NOT EXISTS units_open ON units (job_id, unit_index)
    WHERE state NOT IN ('Assimilated', 'Failed');

CREATE TABLE IF NOT EXISTS replicas (
    job_id       TEXT NOT NULL,
    unit_index   INTEGER NOT NULL,
    replica      INTEGER NOT NULL,
    state        TEXT NOT NULL,
    worker_id    TEXT,
    issued_at    TEXT,
    deadline     TEXT,
    reported_at  TEXT,
    outcome      TEXT,
    digest       TEXT,
    size         INTEGER NOT NULL,
    payload      BLOB,
    error        TEXT,
    PRIMARY KEY (job_id, unit_index, replica)
) WITHOUT ROWID;
