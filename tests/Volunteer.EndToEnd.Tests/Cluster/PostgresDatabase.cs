using System.Globalization;
using Npgsql;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// Read-only queries on a cluster's PostgreSQL database (infra/sql/postgres/*.sql), for checking what
/// the silos made durable and for failure messages.
/// </summary>
public static class PostgresDatabase
{
    public static IReadOnlyList<ReplicaRow> Replicas(string connectionString, Guid jobId)
    {
        using var connection = Open(connectionString);
        return StoreQueries.Replicas(connection, jobId, jobId);
    }

    /// <summary>The Orleans membership rows of one cluster as (port, generation, status: 3 active, 6 dead).</summary>
    public static IReadOnlyList<(int Port, long Generation, int Status)> Membership(string connectionString, string clusterId)
    {
        using var connection = Open(connectionString);
        using var command = new NpgsqlCommand(
            "SELECT port, generation, status FROM orleans_membership WHERE deployment_id = $1 ORDER BY port, generation", connection)
        {
            Parameters = { new() { Value = clusterId } },
        };
        using var reader = command.ExecuteReader();
        var rows = new List<(int, long, int)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)));
        }
        return rows;
    }

    /// <summary>
    /// For failure messages: the job and its unfinished units (see <see cref="StoreQueries.DescribeJob"/>), if
    /// there is a job, and the membership table. Never throws.
    /// </summary>
    public static string Describe(string connectionString, Guid? jobId, string clusterId)
    {
        try
        {
            using var connection = Open(connectionString);
            var lines = jobId is { } job ? StoreQueries.DescribeJob(connection, job, job) : [];
            using var command = new NpgsqlCommand(
                "SELECT port, generation, status, i_am_alive_time FROM orleans_membership WHERE deployment_id = $1 ORDER BY port, generation", connection);
            command.Parameters.Add(new() { Value = clusterId });
            using var reader = command.ExecuteReader();
            var members = new List<string>();
            while (reader.Read())
            {
                members.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{reader.GetInt32(0)}@{reader.GetInt32(1)} status {reader.GetInt32(2)} alive {reader.GetDateTime(3):HH:mm:ss.fff}"));
            }
            lines.Add($"--- orleans_membership of {clusterId}: {string.Join(", ", members)} ---");
            return string.Join(Environment.NewLine, lines);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException)
        {
            return $"--- store: unreadable ({ex.Message}) ---";
        }
    }

    private static NpgsqlConnection Open(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            connection.Open();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }
}
