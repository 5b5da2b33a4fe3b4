using Npgsql;
using NpgsqlTypes;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>One upsert statement per table, its rows passed as one array per column and spread by unnest.</summary>
internal static class PostgresUpserts
{
    public static NpgsqlBatchCommand Jobs(IEnumerable<JobRecord> rows)
    {
        var jobs = rows.ToList();
        return Command("""
            INSERT INTO jobs (id, app, parameters, target_results, min_quorum, max_error_results, max_total_results,
                deadline_seconds, priority, unit_count, units_opened, units_assimilated, units_failed, state, accumulated,
                failure_reason, created_at, finished_at)
            SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[], $7::int[], $8::int[],
                $9::int[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[], $14::text[], $15::text[], $16::text[],
                $17::timestamptz[], $18::timestamptz[])
            ON CONFLICT (id) DO UPDATE SET units_opened = excluded.units_opened,
                units_assimilated = excluded.units_assimilated, units_failed = excluded.units_failed,
                state = excluded.state, accumulated = excluded.accumulated,
                failure_reason = excluded.failure_reason, finished_at = excluded.finished_at
            """,
            Column(jobs, j => j.Id, NpgsqlDbType.Uuid),
            Column(jobs, j => j.App, NpgsqlDbType.Text),
            Column(jobs, j => j.Parameters, NpgsqlDbType.Text),
            Column(jobs, j => j.Redundancy.TargetResults, NpgsqlDbType.Integer),
            Column(jobs, j => j.Redundancy.MinQuorum, NpgsqlDbType.Integer),
            Column(jobs, j => j.Redundancy.MaxErrorResults, NpgsqlDbType.Integer),
            Column(jobs, j => j.Redundancy.MaxTotalResults, NpgsqlDbType.Integer),
            Column(jobs, j => j.DeadlineSeconds, NpgsqlDbType.Integer),
            Column(jobs, j => j.Priority, NpgsqlDbType.Integer),
            Column(jobs, j => j.UnitCount, NpgsqlDbType.Bigint),
            Column(jobs, j => j.UnitsOpened, NpgsqlDbType.Bigint),
            Column(jobs, j => j.UnitsAssimilated, NpgsqlDbType.Bigint),
            Column(jobs, j => j.UnitsFailed, NpgsqlDbType.Bigint),
            Column(jobs, j => j.State.ToString(), NpgsqlDbType.Text),
            Column(jobs, j => j.Accumulated, NpgsqlDbType.Text),
            Column(jobs, j => j.FailureReason, NpgsqlDbType.Text),
            Column(jobs, j => j.CreatedAt, NpgsqlDbType.TimestampTz),
            Column(jobs, j => j.FinishedAt, NpgsqlDbType.TimestampTz));
    }

    public static NpgsqlBatchCommand Units(IEnumerable<UnitRecord> rows)
    {
        var units = rows.ToList();
        return Command("""
            INSERT INTO units (job_id, unit_index, input, state, replica_count, canonical_replica)
            SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::int[])
            ON CONFLICT (job_id, unit_index) DO UPDATE SET state = excluded.state,
                replica_count = excluded.replica_count, canonical_replica = excluded.canonical_replica
            """,
            Column(units, u => u.JobId, NpgsqlDbType.Uuid),
            Column(units, u => u.UnitIndex, NpgsqlDbType.Bigint),
            Column(units, u => u.Input, NpgsqlDbType.Text),
            Column(units, u => u.State.ToString(), NpgsqlDbType.Text),
            Column(units, u => u.ReplicaCount, NpgsqlDbType.Integer),
            Column(units, u => u.CanonicalReplica, NpgsqlDbType.Integer));
    }

    public static NpgsqlBatchCommand Replicas(IEnumerable<ReplicaRecord> rows)
    {
        var replicas = rows.ToList();
        return Command("""
            INSERT INTO replicas (job_id, unit_index, replica, state, worker_id, issued_at, deadline, reported_at,
                outcome, digest, size, payload, error)
            SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::int[], $4::text[], $5::uuid[], $6::timestamptz[],
                $7::timestamptz[], $8::timestamptz[], $9::text[], $10::text[], $11::bigint[], $12::bytea[], $13::text[])
            ON CONFLICT (job_id, unit_index, replica) DO UPDATE SET state = excluded.state,
                worker_id = excluded.worker_id, issued_at = excluded.issued_at, deadline = excluded.deadline,
                reported_at = excluded.reported_at, outcome = excluded.outcome, digest = excluded.digest,
                size = excluded.size, payload = excluded.payload, error = excluded.error
            """,
            Column(replicas, r => r.JobId, NpgsqlDbType.Uuid),
            Column(replicas, r => r.UnitIndex, NpgsqlDbType.Bigint),
            Column(replicas, r => r.Replica, NpgsqlDbType.Integer),
            Column(replicas, r => r.State.ToString(), NpgsqlDbType.Text),
            Column(replicas, r => r.WorkerId, NpgsqlDbType.Uuid),
            Column(replicas, r => r.IssuedAt, NpgsqlDbType.TimestampTz),
            Column(replicas, r => r.Deadline, NpgsqlDbType.TimestampTz),
            Column(replicas, r => r.ReportedAt, NpgsqlDbType.TimestampTz),
            Column(replicas, r => r.Outcome?.ToString(), NpgsqlDbType.Text),
            Column(replicas, r => r.Digest, NpgsqlDbType.Text),
            Column(replicas, r => r.Size, NpgsqlDbType.Bigint),
            Column(replicas, r => r.Payload, NpgsqlDbType.Bytea),
            Column(replicas, r => r.Error, NpgsqlDbType.Text));
    }

    /// <summary>Workers are inserted, never updated: a duplicate id fails its batch.</summary>
    public static NpgsqlBatchCommand Workers(IReadOnlyList<WorkerRecord> workers) => Command("""
        INSERT INTO workers (id, name, token_hash, public_key, cores, created_at)
        SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[])
        """,
        Column(workers, w => w.Id, NpgsqlDbType.Uuid),
        Column(workers, w => w.Name, NpgsqlDbType.Text),
        Column(workers, w => w.TokenHash, NpgsqlDbType.Text),
        Column(workers, w => w.PublicKey, NpgsqlDbType.Text),
        Column(workers, w => w.Cores, NpgsqlDbType.Integer),
        Column(workers, w => w.CreatedAt, NpgsqlDbType.TimestampTz));

    public static NpgsqlBatchCommand ApiKeys(IEnumerable<ApiKeyRecord> rows)
    {
        var keys = rows.ToList();
        return Command("""
            INSERT INTO api_keys (key_hash, created_at)
            SELECT * FROM unnest($1::text[], $2::timestamptz[])
            ON CONFLICT (key_hash) DO NOTHING
            """,
            Column(keys, k => k.KeyHash, NpgsqlDbType.Text),
            Column(keys, k => k.CreatedAt, NpgsqlDbType.TimestampTz));
    }

    private static NpgsqlBatchCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Column<TRow, TValue>(IReadOnlyList<TRow> rows, Func<TRow, TValue> value, NpgsqlDbType type)
    {
        var column = new TValue[rows.Count];
        for (var i = 0; i < rows.Count; i++)
        {
            column[i] = value(rows[i]);
        }
        return new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | type, Value = column };
    }
}
