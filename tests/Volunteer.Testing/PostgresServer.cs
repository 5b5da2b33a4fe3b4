using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
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
        _privateDirectory = Path.Combine(Path.GetTempPath(), "volunteer-pg-" + Guid.NewGuid().ToString("N"));
        var port = FreePort();
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
        await command.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync()
    {
        if (_privateDirectory is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await RunScriptAsync("stop", _privateDirectory);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task RunScriptAsync(params string[] arguments)
    {
        var script = Path.Combine(RepositoryRoot(), "infra", "postgres.sh");
        var start = new ProcessStartInfo("bash", [script, .. arguments]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"infra/postgres.sh {string.Join(' ', arguments)} failed: {await output}{await errors}");
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Volunteer.sln")))
            {
                return directory.FullName;
            }
        }
        throw new InvalidOperationException("Volunteer.sln not found above " + AppContext.BaseDirectory);
    }
}
