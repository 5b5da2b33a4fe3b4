using Microsoft.Data.Sqlite;
using Npgsql;
using Volunteer.Coordinator.Storage;
using Volunteer.Coordinator.Storage.Postgres;
using Volunteer.Coordinator.Storage.Sqlite;
using Volunteer.Testing;

namespace Volunteer.Coordinator.Tests;

/// <summary>A store suite's SQLite store: a folder of its own, created with the store and deleted after it.</summary>
internal sealed class SqliteTestStore(string suite)
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"volunteer-{suite}-" + Guid.NewGuid().ToString("N"));

    public IWorkStore Create() => new SqliteWorkStore(Directory);

    /// <summary>
    /// Holds every write off, as a busy writer would: SQLite has one writer at a time, and a transaction begun IMMEDIATE
    /// holds the others off until the connection, unpooled, closes and so rolls it back.
    /// </summary>
    public async Task<IAsyncDisposable> HoldWritesAsync()
    {
        var connection = new SqliteConnection($"Data Source={Path.Combine(Directory, "volunteer.db")};Pooling=False");
        await connection.OpenAsync();
        await connection.BeginTransactionAsync();
        return connection;
    }

    public void Drop()
    {
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}

/// <summary>A store suite's PostgreSQL store: a database of its own on the test run's server, dropped after it.</summary>
internal sealed class PostgresTestStore(PostgresServer server)
{
    public string ConnectionString { get; private set; } = "";

    public NpgsqlDataSource? DataSource { get; private set; }

    public async Task<IWorkStore> CreateAsync()
    {
        ConnectionString = await server.CreateDatabaseAsync();
        DataSource = NpgsqlDataSource.Create(ConnectionString);
        return new PostgresWorkStore(DataSource);
    }

    /// <summary>
    /// Holds writes to <paramref name="tables"/> off: EXCLUSIVE mode lets plain reads through but no row lock or write,
    /// so a group waits at its first statement on them. The lock lasts as long as its transaction, which closing the
    /// connection rolls back.
    /// </summary>
    public async Task<IAsyncDisposable> HoldWritesAsync(string tables)
    {
        var connection = await DataSource!.OpenConnectionAsync();
        var transaction = await connection.BeginTransactionAsync();
        await using var hold = new NpgsqlCommand($"LOCK TABLE {tables} IN EXCLUSIVE MODE", connection, transaction);
        await hold.ExecuteNonQueryAsync();
        return connection;
    }

    public async Task DropAsync()
    {
        if (DataSource is not null)
        {
            await DataSource.DisposeAsync();
        }
        await server.DropDatabaseAsync(ConnectionString);
    }
}
