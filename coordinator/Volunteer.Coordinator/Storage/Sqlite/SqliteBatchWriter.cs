using Microsoft.Data.Sqlite;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>Writes batches inside one transaction, reusing one prepared command per row kind.</summary>
internal sealed class SqliteBatchWriter(SqliteConnection connection, SqliteTransaction transaction)
{
    private SqliteCommand? _job;
    private SqliteCommand? _unit;
    private SqliteCommand? _replica;
    private SqliteCommand? _worker;
    private SqliteCommand? _apiKey;

    public async Task WriteAsync(WorkBatch batch, CancellationToken cancellationToken)
    {
        foreach (var job in batch.Jobs)
        {
            await UpsertJob(job).ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var unit in batch.Units)
        {
            await UpsertUnit(unit).ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var replica in batch.Replicas)
        {
            await UpsertReplica(replica).ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var worker in batch.Workers)
        {
            await InsertWorker(worker).ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var apiKey in batch.ApiKeys)
        {
            await InsertApiKey(apiKey).ExecuteNonQueryAsync(cancellationToken);
        }
    }

    private SqliteCommand UpsertJob(JobRecord job)
    {
        _job ??= Prepare("""
            INSERT INTO jobs (id, app, parameters, target_results, min_quorum, max_error_results, max_total_results,
                deadline_seconds, priority, unit_count, units_opened, units_assimilated, units_failed, state,
                accumulated, failure_reason, created_at, finished_at)
            VALUES ($id, $app, $parameters, $target, $quorum, $maxErrors, $maxTotal, $deadline, $priority, $unitCount,
                $opened, $assimilated, $failed, $state, $accumulated, $failure, $created, $finished)
            ON CONFLICT (id) DO UPDATE SET units_opened = excluded.units_opened,
                units_assimilated = excluded.units_assimilated, units_failed = excluded.units_failed,
                state = excluded.state, accumulated = excluded.accumulated,
                failure_reason = excluded.failure_reason, finished_at = excluded.finished_at
            """);
        return Bind(_job,
            ("$id", job.Id.ToString()), ("$app", job.App), ("$parameters", job.Parameters),
            ("$target", job.Redundancy.TargetResults), ("$quorum", job.Redundancy.MinQuorum),
            ("$maxErrors", job.Redundancy.MaxErrorResults), ("$maxTotal", job.Redundancy.MaxTotalResults),
            ("$deadline", job.DeadlineSeconds), ("$priority", job.Priority), ("$unitCount", job.UnitCount),
            ("$opened", job.UnitsOpened), ("$assimilated", job.UnitsAssimilated), ("$failed", job.UnitsFailed),
            ("$state", job.State.ToString()), ("$accumulated", job.Accumulated), ("$failure", job.FailureReason),
            ("$created", job.CreatedAt), ("$finished", job.FinishedAt));
    }

    private SqliteCommand UpsertUnit(UnitRecord unit)
    {
        _unit ??= Prepare("""
            INSERT INTO units (job_id, unit_index, input, state, replica_count, canonical_replica)
            VALUES ($job, $unit, $input, $state, $count, $canonical)
            ON CONFLICT (job_id, unit_index) DO UPDATE SET state = excluded.state,
                replica_count = excluded.replica_count, canonical_replica = excluded.canonical_replica
            """);
        return Bind(_unit,
            ("$job", unit.JobId.ToString()), ("$unit", unit.UnitIndex), ("$input", unit.Input),
            ("$state", unit.State.ToString()), ("$count", unit.ReplicaCount), ("$canonical", unit.CanonicalReplica));
    }

    private SqliteCommand UpsertReplica(ReplicaRecord replica)
    {
        _replica ??= Prepare("""
            INSERT INTO replicas (job_id, unit_index, replica, state, worker_id, issued_at, deadline, reported_at,
                outcome, digest, size, payload, error)
            VALUES ($job, $unit, $replica, $state, $worker, $issued, $deadline, $reported, $outcome, $digest, $size,
                $payload, $error)
            ON CONFLICT (job_id, unit_index, replica) DO UPDATE SET state = excluded.state,
                worker_id = excluded.worker_id, issued_at = excluded.issued_at, deadline = excluded.deadline,
                reported_at = excluded.reported_at, outcome = excluded.outcome, digest = excluded.digest,
                size = excluded.size, payload = excluded.payload, error = excluded.error
            """);
        return Bind(_replica,
            ("$job", replica.JobId.ToString()), ("$unit", replica.UnitIndex), ("$replica", replica.Replica),
            ("$state", replica.State.ToString()), ("$worker", replica.WorkerId?.ToString()),
            ("$issued", replica.IssuedAt), ("$deadline", replica.Deadline),
            ("$reported", replica.ReportedAt), ("$outcome", replica.Outcome?.ToString()),
            ("$digest", replica.Digest), ("$size", replica.Size), ("$payload", replica.Payload), ("$error", replica.Error));
    }

    private SqliteCommand InsertWorker(WorkerRecord worker)
    {
        _worker ??= Prepare("""
            INSERT INTO workers (id, name, token_hash, public_key, cores, created_at)
            VALUES ($id, $name, $token, $key, $cores, $created)
            """);
        return Bind(_worker,
            ("$id", worker.Id.ToString()), ("$name", worker.Name), ("$token", worker.TokenHash),
            ("$key", worker.PublicKey), ("$cores", worker.Cores), ("$created", worker.CreatedAt));
    }

    private SqliteCommand InsertApiKey(ApiKeyRecord apiKey)
    {
        _apiKey ??= Prepare("INSERT INTO api_keys (key_hash, created_at) VALUES ($hash, $created) ON CONFLICT DO NOTHING");
        return Bind(_apiKey, ("$hash", apiKey.KeyHash), ("$created", apiKey.CreatedAt));
    }

    private SqliteCommand Prepare(string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static SqliteCommand Bind(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        if (command.Parameters.Count == 0)
        {
            foreach (var (name, _) in values)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }
        }
        foreach (var (name, value) in values)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
        return command;
    }
}
