-- Volunteer store (PostgreSQL). Applied at every coordinator start and safe to re-run:
--   psql "$CONNECTION" -v ON_ERROR_STOP=1 -f infra/sql/postgres/001_schema.sql
-- Times are timestamptz; secrets are stored only as SHA-256 hashes.
-- The coordinator describes each table once (Storage/Tables/StoreTables.cs) and generates its statements
-- from that; the store conformance tests check that these tables have exactly the described columns.

CREATE TABLE IF NOT EXISTS api_keys (
    key_hash    text PRIMARY KEY,
    created_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS workers (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    token_hash  text NOT NULL,
    public_key  text NOT NULL,       -- ECDSA P-256 SubjectPublicKeyInfo, base64; verifies reports
    cores       integer NOT NULL,
    created_at  timestamptz NOT NULL
);

CREATE TABLE IF NOT EXISTS jobs (
    id                 uuid PRIMARY KEY,
    app                text NOT NULL,
    parameters         text NOT NULL,
    target_results     integer NOT NULL,
    min_quorum         integer NOT NULL,
    max_error_results  integer NOT NULL,
    max_total_results  integer NOT NULL,
    deadline_seconds   integer NOT NULL,
    priority           integer NOT NULL,
    unit_count         bigint NOT NULL,
    units_opened       bigint NOT NULL,   -- split cursor: later units exist only lazily
    units_assimilated  bigint NOT NULL,
    units_failed       bigint NOT NULL,
    state              text NOT NULL,
    accumulated        text NOT NULL,     -- the reducer's running result
    failure_reason     text,
    created_at         timestamptz NOT NULL,
    finished_at        timestamptz
);

CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (state, created_at);

CREATE TABLE IF NOT EXISTS units (
    job_id             uuid NOT NULL,
    unit_index         bigint NOT NULL,
    input              text NOT NULL,
    state              text NOT NULL,
    replica_count      integer NOT NULL,
    canonical_replica  integer,
    PRIMARY KEY (job_id, unit_index)
);

-- A job's grain loads only the units still in play; finished ones stay on disk.
CREATE INDEX IF NOT EXISTS units_open ON units (job_id, unit_index)
    WHERE state NOT IN ('Assimilated', 'Failed');

CREATE TABLE IF NOT EXISTS replicas (
    job_id       uuid NOT NULL,
    unit_index   bigint NOT NULL,
    replica      integer NOT NULL,
    state        text NOT NULL,
    worker_id    uuid,
    issued_at    timestamptz,
    deadline     timestamptz,
    reported_at  timestamptz,
    outcome      text,
    digest       text,
    size         bigint NOT NULL,
    payload      bytea,
    error        text,
    PRIMARY KEY (job_id, unit_index, replica)
);
