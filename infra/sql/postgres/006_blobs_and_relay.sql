-- Peer-assisted relay (issue 11). Safe to re-run.
-- The blobs each job needs: its inputs while it runs, its units' result payloads and its result file for good.
-- Blob collection deletes only blobs no row here keeps (BlobCollector).
CREATE TABLE IF NOT EXISTS job_blobs (
    job_id  uuid NOT NULL,
    digest  text NOT NULL,
    use     text NOT NULL,      -- Input, Result or ResultFile
    PRIMARY KEY (job_id, digest, use)
);
CREATE INDEX IF NOT EXISTS job_blobs_by_digest ON job_blobs (digest);
-- How each job's data moved. Each commit adds a stretch of figures to the row, so every silo's counts add up.
CREATE TABLE IF NOT EXISTS job_relay (
    job_id             uuid PRIMARY KEY,
    coordinator_bytes  bigint NOT NULL,   -- bytes of the job's blobs the coordinator served to workers
    peer_bytes         bigint NOT NULL,   -- bytes of them workers fetched from peers
    bad_chunks         bigint NOT NULL,
    results_pulled     bigint NOT NULL,
    reports_relayed    bigint NOT NULL
);
-- The coordinator's blob store in cluster mode: every silo serves every blob. A blob is served only once complete,
-- that is once all its chunks are in and the whole of them has its digest; until then it is an upload in progress.
CREATE TABLE IF NOT EXISTS blobs (
    digest      text PRIMARY KEY,
    size        bigint NOT NULL,
    chunk_size  integer NOT NULL,
    chunks      text[] NOT NULL,      -- each chunk's digest, in order (the manifest)
    complete    boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    touched_at  timestamptz NOT NULL  -- last uploaded to or named by a job submission: what collection goes by
);
CREATE INDEX IF NOT EXISTS blobs_by_touched ON blobs (touched_at);
CREATE TABLE IF NOT EXISTS blob_chunks (
    digest       text NOT NULL REFERENCES blobs (digest) ON DELETE CASCADE,
    chunk_index  integer NOT NULL,
    content      bytea NOT NULL,
    PRIMARY KEY (digest, chunk_index)
);
-- Large chunks are already spread over TOAST; compressing them (mostly compressed data) only costs CPU.
ALTER TABLE blob_chunks ALTER COLUMN content SET STORAGE EXTERNAL;
-- The project's ECDSA P-256 key, which signs blob tickets and peer passes: one row, created by the first silo to
-- start; every other silo reads the same one.
CREATE TABLE IF NOT EXISTS coordinator_key (
    id           integer PRIMARY KEY CHECK (id = 1),
    private_key  text NOT NULL,      -- PKCS#8, base64
    created_at   timestamptz NOT NULL
);
