using System.Data.Common;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in the data folder, for a single silo. WAL mode with
/// synchronous=FULL makes every commit durable; a single writer connection takes group commits and epoch
/// claims while readers use their own connections.
/// </summary>
public sealed partial class SqliteWorkStore : SqlWorkStore, IAsyncDisposable
{
    // The fenced jobs' ids travel as one JSON array: one statement for the whole group.
    private const string FencedEpochsSql = "SELECT id, epoch FROM jobs WHERE id IN (SELECT value FROM json_each($1))";

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

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            // WAL persists in the file; readers then never block the writer.
            wal.CommandText = "PRAGMA journal_mode=WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var script in SqliteSchema.Scripts)
        {
            await SqliteSchema.ApplyAsync(connection, SqlScripts.Read(script), cancellationToken);
        }
    }

    public override Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        _groupCommit.CommitAsync(batch).WaitAsync(cancellationToken);

    private Task CommitGroupAsync(IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken) =>
        WithWriterAsync(async writer =>
        {
            var fences = FencesOf(group);
            // BEGIN IMMEDIATE: the transaction holds the database's write lock from its start, so the epochs it
            // checks cannot move on before it commits.
            await using var transaction = (SqliteTransaction)await writer.BeginTransactionAsync(cancellationToken);
            if (fences.Count > 0)
            {
                await using var check = writer.CreateCommand();
                check.Transaction = transaction;
                check.CommandText = FencedEpochsSql;
                check.Parameters.AddWithValue("$1", JsonSerializer.Serialize(fences.Select(f => f.JobId)));
                Dictionary<Guid, long> epochs;
                await using (var rows = await check.ExecuteReaderAsync(cancellationToken))
                {
                    epochs = await ReadEpochsAsync(rows, cancellationToken);
                }
                EnsureCurrent(fences, epochs);
            }
            var writes = new SqliteBatchWriter(writer, transaction);
            foreach (var batch in group)
            {
                await writes.WriteAsync(batch, cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
        }, cancellationToken);

    private protected override async Task<TResult> WriteAloneAsync<TResult>(Func<DbConnection, Task<TResult>> write, CancellationToken cancellationToken)
    {
        TResult result = default!;
        await WithWriterAsync(async writer => result = await write(writer), cancellationToken);
        return result;
    }

    /// <summary>Runs <paramref name="write"/> on the one writer connection, which no other write uses meanwhile.</summary>
    private async Task WithWriterAsync(Func<SqliteConnection, Task> write, CancellationToken cancellationToken)
    {
        await _writerGate.WaitAsync(cancellationToken);
        try
        {
            _writer ??= await OpenAsync(cancellationToken);
            await write(_writer);
        }
        catch (Exception ex) when (ex is not StaleEpochException)
        {
            // A failed connection is not reused: the next write starts on a fresh one.
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

    private protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) =>
        await OpenAsync(cancellationToken);

    private protected override DbParameter Parameter(int position, ColumnKind kind, object? value) =>
        new SqliteParameter($"${position}", SqliteTypes.Value(kind, value));

    // Times are ISO-8601 text; julianday reads them, offset included, as days (a double: about 50 µs apart here).
    private protected override string MillisecondsBetween(string start, string time) =>
        $"CAST(ROUND((julianday({time}) - julianday({start})) * 86400000.0) AS INTEGER)";

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
