-- Scientists' WebAssembly apps (issue 14). Safe to re-run.
-- Each registered app version: immutable once written (a second registration of a name and version is refused). The
-- module and reducer are blobs; blob collection keeps every blob a version names (BlobCollector). The latest version of
-- an app is the one registered last.
CREATE TABLE IF NOT EXISTS app_versions (
    name                     text NOT NULL,
    version                  text NOT NULL,
    module                   text NOT NULL,      -- the module blob's digest
    module_size              bigint NOT NULL,
    comparator               text NOT NULL,      -- Bitwise or Tolerance
    absolute_tolerance       double precision NOT NULL,
    relative_tolerance       double precision NOT NULL,
    credit_per_unit          double precision,   -- exactly one of these two is set
    credit_per_million_fuel  double precision,
    memory_bytes             bigint NOT NULL,
    fuel_per_unit            bigint NOT NULL,
    reducer                  text,               -- the reducer module blob's digest, if any
    signature                text NOT NULL,      -- the coordinator's signature over digest, name, version and limits
    registered_at            timestamptz NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX IF NOT EXISTS app_versions_by_registration ON app_versions (name, registered_at);
CREATE INDEX IF NOT EXISTS app_versions_by_module ON app_versions (module);
CREATE INDEX IF NOT EXISTS app_versions_by_reducer ON app_versions (reducer);
-- The fuel a successful report of a WebAssembly unit says it burned: metered credit is computed from the least fuel of
-- the replicas that agreed. Null for built-in apps and for rows from before this script.
ALTER TABLE replicas ADD COLUMN IF NOT EXISTS fuel bigint;
