-- Volunteer accounts, replica placement and host quotas (issue 9). Applied at start-up after 001.
-- SQLite has no ADD COLUMN IF NOT EXISTS: the store runs each ALTER TABLE ... ADD COLUMN below only when the
-- column is missing. Hosts attached before accounts existed share the nil account: placement then never pairs
-- them with each other, which is the safe side.

CREATE TABLE IF NOT EXISTS accounts (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    email       TEXT,
    key_hash    TEXT NOT NULL,          -- SHA-256 of the account key; the key itself is never stored
    origin      TEXT NOT NULL,          -- SignedUp or Anonymous
    created_at  TEXT NOT NULL
) WITHOUT ROWID;

ALTER TABLE workers ADD COLUMN account_id TEXT NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';

-- One public key attaches once; the coordinator checks first, this catches two attaches racing. Before there
-- was such a rule one key could attach many times (a sybil trick): the first host with a key keeps it, the
-- later copies are detached (their tokens stop working; their leases time out and go to others).
DELETE FROM workers WHERE EXISTS (
    SELECT 1 FROM workers AS earlier WHERE earlier.public_key = workers.public_key
    AND (earlier.created_at, earlier.id) < (workers.created_at, workers.id));
CREATE UNIQUE INDEX IF NOT EXISTS workers_by_public_key ON workers (public_key);

ALTER TABLE replicas ADD COLUMN account_id TEXT;
ALTER TABLE replicas ADD COLUMN network TEXT;

CREATE TABLE IF NOT EXISTS host_quotas (
    worker_id     TEXT PRIMARY KEY,
    quota         INTEGER NOT NULL,     -- replicas the host may be issued per day; halves on each failure
    issued_today  INTEGER NOT NULL,
    day           TEXT NOT NULL
) WITHOUT ROWID;
