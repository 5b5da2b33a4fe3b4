-- Orleans cluster membership on PostgreSQL, for Microsoft.Orleans.Clustering.AdoNet (invariant Npgsql).
-- The provider reads its SQL from OrleansQuery at start-up ("SELECT QueryKey, QueryText FROM
-- OrleansQuery") and binds @Name parameters; the texts below are this project's own. Safe to re-run:
-- tables are created if missing and every query text is replaced by the current one.

-- One row per cluster (the provider's "deployment"): the membership table's version, which every
-- membership change must advance from the value the changer last read (optimistic concurrency).
CREATE TABLE IF NOT EXISTS orleans_membership_version (
    deployment_id  text PRIMARY KEY,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    version        integer NOT NULL DEFAULT 0
);

-- One row per silo incarnation (address, port and generation identify it).
CREATE TABLE IF NOT EXISTS orleans_membership (
    deployment_id    text NOT NULL REFERENCES orleans_membership_version (deployment_id),
    address          text NOT NULL,
    port             integer NOT NULL,
    generation       integer NOT NULL,
    silo_name        text NOT NULL,
    host_name        text NOT NULL,
    status           integer NOT NULL,     -- Orleans SiloStatus: 3 active, 6 dead
    proxy_port       integer NOT NULL,     -- gateway port, 0 when the silo is no gateway
    suspect_times    text,                 -- "silo,time|silo,time" votes suspecting this silo
    start_time       timestamptz NOT NULL,
    i_am_alive_time  timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, address, port, generation)
);

CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey   text PRIMARY KEY,
    QueryText  text NOT NULL
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Creates the cluster's version row; answers 1 if it was created, 0 if it existed.
('InsertMembershipVersionKey', $q$
WITH created AS (
    INSERT INTO orleans_membership_version (deployment_id) VALUES (@DeploymentId)
    ON CONFLICT (deployment_id) DO NOTHING
    RETURNING 1)
SELECT count(*)::int FROM created
$q$),

-- Every member with the table version. The LEFT JOIN keeps one row (with null member columns)
-- for a cluster without members, because the provider reads the version from the first row.
('MembershipReadAllKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation, m.silo_name AS SiloName,
       m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
WHERE v.deployment_id = @DeploymentId
$q$),

-- One member with the table version, in the same shape.
('MembershipReadRowKey', $q$
SELECT v.version AS Version,
       m.address AS Address, m.port AS Port, m.generation AS Generation, m.silo_name AS SiloName,
       m.host_name AS HostName, m.status AS Status, m.proxy_port AS ProxyPort,
       m.suspect_times AS SuspectTimes, m.start_time AS StartTime, m.i_am_alive_time AS IAmAliveTime
FROM orleans_membership_version v
LEFT JOIN orleans_membership m ON m.deployment_id = v.deployment_id
    AND m.address = @Address AND m.port = @Port AND m.generation = @Generation
WHERE v.deployment_id = @DeploymentId
$q$),

-- Adds a member only if the table is still at the version the caller read and the member is new;
-- advancing the version row locks it, so concurrent changers serialise. Answers 1 or 0.
('InsertMembershipKey', $q$
WITH advanced AS (
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND NOT EXISTS (SELECT 1 FROM orleans_membership
                      WHERE deployment_id = @DeploymentId AND address = @Address
                        AND port = @Port AND generation = @Generation)
    RETURNING deployment_id),
added AS (
    INSERT INTO orleans_membership (deployment_id, address, port, generation, silo_name, host_name, status,
                                    proxy_port, suspect_times, start_time, i_am_alive_time)
    SELECT deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status,
           @ProxyPort, NULL, @StartTime, @IAmAliveTime
    FROM advanced
    RETURNING 1)
SELECT count(*)::int FROM added
$q$),

-- Changes a member's status and suspicions under the same version check. Answers 1 or 0.
('UpdateMembershipKey', $q$
WITH advanced AS (
    UPDATE orleans_membership_version SET version = version + 1, changed_at = now()
    WHERE deployment_id = @DeploymentId AND version = @Version
      AND EXISTS (SELECT 1 FROM orleans_membership
                  WHERE deployment_id = @DeploymentId AND address = @Address
                    AND port = @Port AND generation = @Generation)
    RETURNING deployment_id),
changed AS (
    UPDATE orleans_membership m
    SET status = @Status, suspect_times = @SuspectTimes, i_am_alive_time = @IAmAliveTime
    FROM advanced
    WHERE m.deployment_id = advanced.deployment_id AND m.address = @Address
      AND m.port = @Port AND m.generation = @Generation
    RETURNING 1)
SELECT count(*)::int FROM changed
$q$),

-- A silo's heartbeat: no version change, since liveness is not a membership change.
('UpdateIAmAlivetimeKey', $q$
UPDATE orleans_membership SET i_am_alive_time = @IAmAliveTime
WHERE deployment_id = @DeploymentId AND address = @Address AND port = @Port AND generation = @Generation
$q$),

-- Gateways clients may connect to: active members that accept clients.
('GatewaysQueryKey', $q$
SELECT address AS Address, proxy_port AS ProxyPort, generation AS Generation
FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = @Status AND proxy_port > 0
$q$),

-- Forgets a whole cluster (tooling and tests).
('DeleteMembershipTableEntriesKey', $q$
DELETE FROM orleans_membership WHERE deployment_id = @DeploymentId;
DELETE FROM orleans_membership_version WHERE deployment_id = @DeploymentId
$q$),

-- Removes dead members last heard of before the cut-off; the version is left alone.
('CleanupDefunctSiloEntriesKey', $q$
DELETE FROM orleans_membership
WHERE deployment_id = @DeploymentId AND status = 6 AND i_am_alive_time < @IAmAliveTime
$q$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;
