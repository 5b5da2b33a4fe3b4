-- Volunteer accounts, replica placement and host quotas (issue 9). Safe to re-run.
-- Hosts attached before accounts existed share the nil account: placement then never pairs them with each
-- other, which is the safe side.

CREATE TABLE IF NOT EXISTS accounts (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    email       text,
    key_hash    text NOT NULL,       -- SHA-256 of the account key; the key itself is never stored
    origin      text NOT NULL,       -- SignedUp or Anonymous
    created_at  timestamptz NOT NULL
);

ALTER TABLE workers ADD COLUMN IF NOT EXISTS account_id uuid NOT NULL DEFAULT '00000000-0000-0000-0000-000000000000';
ALTER TABLE workers ALTER COLUMN account_id DROP DEFAULT;

-- One public key attaches once; the coordinator checks first, this catches two attaches racing. Before there
-- was such a rule one key could attach many times (a sybil trick): the first host with a key keeps it, the
-- later copies are detached (their tokens stop working; their leases time out and go to others).
DELETE FROM workers w WHERE EXISTS (
    SELECT 1 FROM workers earlier WHERE earlier.public_key = w.public_key AND (earlier.created_at, earlier.id) < (w.created_at, w.id));
CREATE UNIQUE INDEX IF NOT EXISTS workers_by_public_key ON workers (public_key);

-- Placement: no two replicas of a unit on one account or one network.
ALTER TABLE replicas ADD COLUMN IF NOT EXISTS account_id uuid;
ALTER TABLE replicas ADD COLUMN IF NOT EXISTS network text;

CREATE TABLE IF NOT EXISTS host_quotas (
    worker_id     uuid PRIMARY KEY,
    quota         integer NOT NULL,   -- replicas the host may be issued per day; halves on each failure
    issued_today  integer NOT NULL,
    day           timestamptz NOT NULL
);
