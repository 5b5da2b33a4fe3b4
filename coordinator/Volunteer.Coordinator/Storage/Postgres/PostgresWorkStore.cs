using Npgsql;
using NpgsqlTypes;
using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>
/// The production store: PostgreSQL through Npgsql, shared by every silo of a cluster. Each group
/// commit is one transaction of at most one statement per table: the group's rows travel as arrays
/// and are upserted with unnest, so a commit costs the same few round trips for one report or a
/// thousand.
/// </summary>
public sealed class PostgresWorkStore : IWorkStore, IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommit _groupCommit;

    // The group commit's single writer keeps one connection of its own. Taking one from the pool for each
    // commit cycled through every idle pooled connection, and each of those kept its last group's parameter
    // arrays alive: hundreds of MB with 250 pooled connections (dotnet-gcdump after a benchmark run).
    private NpgsqlConnection? _writerConnection;

    public PostgresWorkStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _groupCommit = new(CommitGroupAsync);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Silos starting together must not race each other through the DDL.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7243001)", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var script in PostgresSchema.Scripts)
        {
            await using var command = new NpgsqlCommand(SqlScripts.Read(script), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        _groupCommit.CommitAsync(batch).WaitAsync(cancellationToken);

    private async Task CommitGroupAsync(IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken)
    {
        if (_writerConnection is not { State: System.Data.ConnectionState.Open })
        {
            await DropWriterConnectionAsync();
            _writerConnection = await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        try
        {
            await WriteGroupAsync(_writerConnection, group, cancellationToken);
        }
        catch
        {
            // The connection may be what failed (a restarted server, say): the next attempt starts on a fresh one.
            await DropWriterConnectionAsync();
            throw;
        }
    }

    private static async Task WriteGroupAsync(NpgsqlConnection connection, IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken)
    {
        // Later batches overwrite earlier ones: one upsert statement may touch each row only once.
        var jobs = new Dictionary<Guid, JobRecord>();
        var units = new Dictionary<(Guid, long), UnitRecord>();
        var replicas = new Dictionary<(Guid, long, int), ReplicaRecord>();
        var workers = new List<WorkerRecord>();
        var apiKeys = new Dictionary<string, ApiKeyRecord>();
        foreach (var batch in group)
        {
            batch.Jobs.ForEach(j => jobs[j.Id] = j);
            batch.Units.ForEach(u => units[(u.JobId, u.UnitIndex)] = u);
            batch.Replicas.ForEach(r => replicas[(r.JobId, r.UnitIndex, r.Replica)] = r);
            workers.AddRange(batch.Workers);
            batch.ApiKeys.ForEach(k => apiKeys.TryAdd(k.KeyHash, k));
        }

        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var statements = new NpgsqlBatch(connection, transaction);
        if (jobs.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Jobs(jobs.Values));
        }
        if (units.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Units(units.Values));
        }
        if (replicas.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Replicas(replicas.Values));
        }
        if (workers.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Workers(workers));
        }
        if (apiKeys.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.ApiKeys(apiKeys.Values));
        }
        await statements.ExecuteNonQueryAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
    }

    public async Task<JobRecord?> FindJobAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {StoreRows.JobColumns} FROM jobs WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = jobId });
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadJob, cancellationToken);
    }

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? state, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"""
            SELECT {StoreRows.JobColumns} FROM jobs
            WHERE $1::text IS NULL OR state = $1
            ORDER BY created_at DESC, id LIMIT $2
            """);
        command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Text, Value = (object?)state?.ToString() ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        return await StoreRows.ReadAllAsync(command, StoreRows.ReadJob, cancellationToken);
    }

    public async Task<IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)>> LoadOpenUnitsAsync(
        Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // One snapshot for both reads, so units and replicas agree with each other.
        await using var transaction = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        await using var units = new NpgsqlCommand($"""
            SELECT {StoreRows.UnitColumns} FROM units
            WHERE job_id = $1 AND state NOT IN ('Assimilated', 'Failed') ORDER BY unit_index
            """, connection, transaction) { Parameters = { new() { Value = jobId } } };
        await using var replicas = new NpgsqlCommand($"""
            SELECT {StoreRows.ReplicaColumns("r.")} FROM replicas r
            JOIN units u ON u.job_id = r.job_id AND u.unit_index = r.unit_index
            WHERE u.job_id = $1 AND u.state NOT IN ('Assimilated', 'Failed')
            ORDER BY r.unit_index, r.replica
            """, connection, transaction) { Parameters = { new() { Value = jobId } } };
        return StoreRows.GroupByUnit(
            await StoreRows.ReadAllAsync(units, StoreRows.ReadUnit, cancellationToken),
            await StoreRows.ReadAllAsync(replicas, StoreRows.ReadReplica, cancellationToken));
    }

    public async Task<ReplicaRecord?> FindReplicaAsync(ReplicaRef replica, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand(
            $"SELECT {StoreRows.ReplicaColumns("")} FROM replicas WHERE job_id = $1 AND unit_index = $2 AND replica = $3");
        command.Parameters.Add(new NpgsqlParameter { Value = replica.JobId });
        command.Parameters.Add(new NpgsqlParameter { Value = replica.UnitIndex });
        command.Parameters.Add(new NpgsqlParameter { Value = replica.Replica });
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadReplica, cancellationToken);
    }

    public async Task<WorkerRecord?> FindWorkerAsync(Guid workerId, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand($"SELECT {StoreRows.WorkerColumns} FROM workers WHERE id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = workerId });
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadWorker, cancellationToken);
    }

    public async Task<bool> IsApiKeyKnownAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        await using var command = _dataSource.CreateCommand("SELECT 1 FROM api_keys WHERE key_hash = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = keyHash });
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task DropWriterConnectionAsync()
    {
        if (_writerConnection is { } connection)
        {
            _writerConnection = null;
            await connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _groupCommit.DisposeAsync();
        await DropWriterConnectionAsync();
    }
}
