using System.Collections.ObjectModel;
using Npgsql;
using Xunit;

namespace Volunteer.Testing;

/// <summary>
/// A real PostgreSQL server for the tests: the one the test command started (its connection string
/// in VOLUNTEER_TEST_POSTGRES), or else a private one started here with infra/postgres.sh and
/// stopped by its process id afterwards. Each user gets a database of its own.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string EnvironmentVariable = "VOLUNTEER_TEST_POSTGRES";

    // Long enough for the script to install PostgreSQL with apt-get on a fresh machine.
    private static readonly TimeSpan ScriptTimeout = TimeSpan.FromMinutes(10);

    private string? _privateDirectory;

    public string ConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var shared = Environment.GetEnvironmentVariable(EnvironmentVariable);
        if (!string.IsNullOrEmpty(shared))
        {
            ConnectionString = shared;
            return;
        }
        _privateDirectory = TestFolders.Create("pg");
        var port = FreePort.Next();
        await RunScriptAsync("private", _privateDirectory, port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        ConnectionString = $"Host=127.0.0.1;Port={port};Database=volunteer;Username=volunteer;Password=volunteer";
    }

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = "test_" + Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
        await command.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    public async Task DropDatabaseAsync(string connectionString)
    {
        NpgsqlConnection.ClearAllPools();
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        await using var connection = new NpgsqlConnection(ConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)", connection);
        // FORCE ends the test's own sessions, but not an autovacuum worker that happens to be in the database: only a
        // superuser may end that (42501), and it is done in moments, so the drop is tried again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await command.ExecuteNonQueryAsync();
                return;
            }
            catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ObjectInUse && attempt < 50)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    public async Task DisposeAsync()
    {
        if (_privateDirectory is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await RunScriptAsync("stop", _privateDirectory);
        }
    }

    private static async Task RunScriptAsync(params string[] arguments)
    {
        var command = $"infra/postgres.sh {string.Join(' ', arguments)}";
        await using var script = ChildProcess.Start(
            command, "bash", [Path.Combine(RepoLayout.Root, "infra", "postgres.sh"), .. arguments], RepoLayout.Root,
            ReadOnlyDictionary<string, string>.Empty);
        var exitCode = await script.WaitForExitAsync(ScriptTimeout);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"{command} failed.\n{script.Tail()}");
        }
    }
}
