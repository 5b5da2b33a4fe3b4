using Microsoft.Data.Sqlite;
using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in the data folder, for a single silo. WAL mode with
/// synchronous=FULL makes every commit durable; a single writer connection takes group commits while
/// readers use their own connections.
/// </summary>
public sealed class SqliteWorkStore : IWorkStore, IAsyncDisposable
{
    private readonly string _connectionString;
    private readonly GroupCommit _groupCommit;
    private readonly SemaphoreSlim _writerGate = new(1, 1);
    private SqliteConnection? _writer;

    public SqliteWorkStore(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path.Combine(dataDirectory, "volunteer.db"),
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
        _groupCommit = new GroupCommit(CommitGroupAsync);
    }

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            // WAL persists in the file; readers then never block the writer.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }
        await using var schema = connection.CreateCommand();
        schema.CommandText = SqlScripts.Read("sqlite/001_schema.sql");
        await schema.ExecuteNonQueryAsync(cancellationToken);
    }

    public Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        _groupCommit.CommitAsync(batch).WaitAsync(cancellationToken);

    private async Task CommitGroupAsync(IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken)
    {
        await _writerGate.WaitAsync(cancellationToken);
        try
        {
            _writer ??= await OpenAsync(cancellationToken);
            await using var transaction = (SqliteTransaction)await _writer.BeginTransactionAsync(cancellationToken);
            var writes = new SqliteBatchWriter(_writer, transaction);
            foreach (var batch in group)
            {
                await writes.WriteAsync(batch, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }
        catch
        {
            // A failed connection is not reused: the next group starts on a fresh one.
            if (_writer is not null)
            {
                await _writer.DisposeAsync();
                _writer = null;
            }
            throw;
        }
        finally
        {
            _writerGate.Release();
        }
    }

    public async Task<JobRecord?> FindJobAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoreRows.JobColumns} FROM jobs WHERE id = $id";
        command.Parameters.AddWithValue("$id", jobId.ToString());
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadJob, cancellationToken);
    }

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? state, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {StoreRows.JobColumns} FROM jobs
            WHERE $state IS NULL OR state = $state
            ORDER BY created_at DESC, id LIMIT $limit
            """;
        command.Parameters.AddWithValue("$state", (object?)state?.ToString() ?? DBNull.Value);
        command.Parameters.AddWithValue("$limit", limit);
        return await StoreRows.ReadAllAsync(command, StoreRows.ReadJob, cancellationToken);
    }

    public async Task<IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)>> LoadOpenUnitsAsync(
        Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        // One read transaction: units and replicas from the same snapshot.
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var units = connection.CreateCommand();
        units.CommandText = $"""
            SELECT {StoreRows.UnitColumns} FROM units
            WHERE job_id = $job AND state NOT IN ('Assimilated', 'Failed')
            ORDER BY unit_index
            """;
        units.Parameters.AddWithValue("$job", jobId.ToString());
        await using var replicas = connection.CreateCommand();
        replicas.CommandText = $"""
            SELECT {StoreRows.ReplicaColumns("r.")} FROM replicas r
            JOIN units u ON u.job_id = r.job_id AND u.unit_index = r.unit_index
            WHERE u.job_id = $job AND u.state NOT IN ('Assimilated', 'Failed')
            ORDER BY r.unit_index, r.replica
            """;
        replicas.Parameters.AddWithValue("$job", jobId.ToString());
        return StoreRows.GroupByUnit(
            await StoreRows.ReadAllAsync(units, StoreRows.ReadUnit, cancellationToken),
            await StoreRows.ReadAllAsync(replicas, StoreRows.ReadReplica, cancellationToken));
    }

    public async Task<ReplicaRecord?> FindReplicaAsync(ReplicaRef replica, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT {StoreRows.ReplicaColumns("")} FROM replicas
            WHERE job_id = $job AND unit_index = $unit AND replica = $replica
            """;
        command.Parameters.AddWithValue("$job", replica.JobId.ToString());
        command.Parameters.AddWithValue("$unit", replica.UnitIndex);
        command.Parameters.AddWithValue("$replica", replica.Replica);
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadReplica, cancellationToken);
    }

    public async Task<WorkerRecord?> FindWorkerAsync(Guid workerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT {StoreRows.WorkerColumns} FROM workers WHERE id = $id";
        command.Parameters.AddWithValue("$id", workerId.ToString());
        return await StoreRows.ReadOneAsync(command, StoreRows.ReadWorker, cancellationToken);
    }

    public async Task<bool> IsApiKeyKnownAsync(string keyHash, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT 1 FROM api_keys WHERE key_hash = $hash";
        command.Parameters.AddWithValue("$hash", keyHash);
        return await command.ExecuteScalarAsync(cancellationToken) is not null;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var pragmas = connection.CreateCommand();
        // FULL: the WAL is fsynced at every commit, so an acknowledged write survives power loss too.
        pragmas.CommandText = "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;";
        await pragmas.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        await _groupCommit.DisposeAsync();
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }
        _writerGate.Dispose();
    }
}
