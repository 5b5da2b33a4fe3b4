using System.Data.Common;
using Microsoft.Data.Sqlite;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Sqlite;

/// <summary>
/// The embedded default store: one SQLite file in the data folder, for a single silo. WAL mode with
/// synchronous=FULL makes every commit durable; a single writer connection takes group commits while
/// readers use their own connections.
/// </summary>
public sealed class SqliteWorkStore : SqlWorkStore, IAsyncDisposable
{
    /// <summary>The scripts under infra/sql/sqlite, in the order they apply; each can be applied again.</summary>
    private static readonly string[] Scripts = ["sqlite/001_schema.sql", "sqlite/002_accounts.sql"];

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
        foreach (var script in Scripts)
        {
            await SqliteSchema.ApplyAsync(connection, SqlScripts.Read(script), cancellationToken);
        }
    }

    public override Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
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

    private protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) =>
        await OpenAsync(cancellationToken);

    private protected override DbParameter Parameter(int position, ColumnKind kind, object? value) =>
        new SqliteParameter($"${position}", SqliteTypes.Value(kind, value));

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
