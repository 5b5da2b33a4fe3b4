-- Peer-assisted relay (issue 11). Applied at start-up after 004. The blobs themselves are files under the data
-- folder (FileBlobStore), and the coordinator's key a file beside them; only what jobs need of them is kept here.
-- The blobs each job needs: its inputs while it runs, its units' result payloads and its result file for good.
-- Blob collection deletes only blobs no row here keeps (BlobCollector).
CREATE TABLE IF NOT EXISTS job_blobs (
    job_id  TEXT NOT NULL,
    digest  TEXT NOT NULL,
    use     TEXT NOT NULL,      -- Input, Result or ResultFile
    PRIMARY KEY (job_id, digest, use)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS job_blobs_by_digest ON job_blobs (digest);
-- How each job's data moved. Each commit adds a stretch of figures to the row.
CREATE TABLE IF NOT EXISTS job_relay (
    job_id             TEXT PRIMARY KEY,
    coordinator_bytes  INTEGER NOT NULL,   -- bytes of the job's blobs the coordinator served to workers
    peer_bytes         INTEGER NOT NULL,   -- bytes of them workers fetched from peers
    bad_chunks         INTEGER NOT NULL,
    results_pulled     INTEGER NOT NULL,
    reports_relayed    INTEGER NOT NULL
) WITHOUT ROWID;
