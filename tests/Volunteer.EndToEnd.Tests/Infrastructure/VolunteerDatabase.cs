using Microsoft.Data.Sqlite;

namespace Volunteer.EndToEnd.Tests;

/// <summary>Read-only queries on the coordinator's SQLite file (infra/sql/sqlite/001_schema.sql), for checking what it made durable.</summary>
public static class VolunteerDatabase
{
    public static IReadOnlyList<ReplicaRow> Replicas(string databasePath, Guid jobId)
    {
        using var connection = Open(databasePath);
        return StoreQueries.Replicas(connection, jobId, Key(jobId));
    }

    /// <summary>The job row's state and assimilated-unit count, or null if there is no such job.</summary>
    public static (string State, long UnitsAssimilated, long UnitCount)? Job(string databasePath, Guid jobId)
    {
        using var connection = Open(databasePath);
        return StoreQueries.Job(connection, Key(jobId));
    }

    /// <summary>How many rows <paramref name="table"/> (one of the schema's tables) holds.</summary>
    public static long CountRows(string databasePath, string table)
    {
        using var connection = Open(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = table switch
        {
            "jobs" or "workers" or "units" or "replicas" or "accounts" or "credit_ledger" or "credit_totals" or "host_reliability" or "host_flags"
                or "job_blobs" or "job_relay"
                => $"SELECT COUNT(*) FROM {table}",
            _ => throw new ArgumentOutOfRangeException(nameof(table), table, "Not a table of the store."),
        };
        return (long)command.ExecuteScalar()!;
    }

    /// <summary>For failure messages: the job and its unfinished units (see <see cref="StoreQueries.DescribeJob"/>). Never throws.</summary>
    public static string Describe(string databasePath, Guid jobId)
    {
        try
        {
            using var connection = Open(databasePath);
            return string.Join(Environment.NewLine, StoreQueries.DescribeJob(connection, jobId, Key(jobId)));
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            return $"--- store: unreadable ({ex.Message}) ---";
        }
    }

    // The SQLite store keeps ids as text.
    private static string Key(Guid jobId) => jobId.ToString("D");

    private static SqliteConnection Open(string databasePath)
    {
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            // No pooled handle may outlive the test: its temporary folder is deleted afterwards.
            Pooling = false,
        }.ToString());
        connection.Open();
        return connection;
    }
}
