using System.Globalization;
using Npgsql;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>
/// Read-only queries on a cluster's PostgreSQL database (infra/sql/postgres/*.sql), for checking what
/// the silos made durable and for failure messages.
/// </summary>
public static class PostgresDatabase
{
    /// <summary>Every replica row of the job; (unit, replica) is the table's primary key with the job.</summary>
    public static async Task<IReadOnlyList<ReplicaRow>> ReplicasAsync(string connectionString, Guid jobId)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(
            "SELECT unit_index, replica, state, worker_id, outcome FROM replicas WHERE job_id = $1 ORDER BY unit_index, replica", connection)
        {
            Parameters = { new() { Value = jobId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<ReplicaRow>();
        while (await reader.ReadAsync())
        {
            rows.Add(new ReplicaRow(jobId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetGuid(3), reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return rows;
    }

    /// <summary>The Orleans membership rows of one cluster as (port, generation, status: 3 active, 6 dead).</summary>
    public static async Task<IReadOnlyList<(int Port, long Generation, int Status)>> MembershipAsync(string connectionString, string clusterId)
    {
        await using var connection = await OpenAsync(connectionString);
        await using var command = new NpgsqlCommand(
            "SELECT port, generation, status FROM orleans_membership WHERE deployment_id = $1 ORDER BY port, generation", connection)
        {
            Parameters = { new() { Value = clusterId } },
        };
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, long, int)>();
        while (await reader.ReadAsync())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2)));
        }
        return rows;
    }

    /// <summary>
    /// For failure messages: the job row, its unfinished units with their replicas, and the membership
    /// table. Never throws.
    /// </summary>
    public static string Describe(string connectionString, Guid? jobId, string clusterId, int maxUnits = 20)
    {
        try
        {
            var lines = new List<string>();
            using var connection = new NpgsqlConnection(connectionString);
            connection.Open();
            if (jobId is { } job)
            {
                using (var command = new NpgsqlCommand("SELECT state, units_assimilated, unit_count FROM jobs WHERE id = $1", connection))
                {
                    command.Parameters.Add(new() { Value = job });
                    using var reader = command.ExecuteReader();
                    lines.Add(reader.Read()
                        ? $"--- store: job {job} {reader.GetString(0)}, {reader.GetInt64(1)}/{reader.GetInt64(2)} units assimilated ---"
                        : $"--- store: no job {job} ---");
                }
                using (var command = new NpgsqlCommand("""
                    SELECT u.unit_index, u.state, r.replica, r.state, r.worker_id FROM units u
                    LEFT JOIN replicas r ON r.job_id = u.job_id AND r.unit_index = u.unit_index
                    WHERE u.job_id = $1 AND u.state NOT IN ('Assimilated', 'Failed')
                    ORDER BY u.unit_index, r.replica
                    """, connection))
                {
                    command.Parameters.Add(new() { Value = job });
                    using var reader = command.ExecuteReader();
                    var units = new SortedDictionary<long, (string State, List<string> Replicas)>();
                    while (reader.Read())
                    {
                        var unit = reader.GetInt64(0);
                        if (!units.TryGetValue(unit, out var entry))
                        {
                            units[unit] = entry = (reader.GetString(1), []);
                        }
                        if (!reader.IsDBNull(2))
                        {
                            entry.Replicas.Add($"#{reader.GetInt32(2)} {reader.GetString(3)} {(reader.IsDBNull(4) ? "-" : reader.GetGuid(4).ToString())}");
                        }
                    }
                    lines.Add($"{units.Count} units split out and not finished:");
                    lines.AddRange(units.Take(maxUnits).Select(u => $"unit {u.Key} {u.Value.State}: {string.Join("; ", u.Value.Replicas)}"));
                }
            }
            using (var command = new NpgsqlCommand(
                "SELECT port, generation, status, i_am_alive_time FROM orleans_membership WHERE deployment_id = $1 ORDER BY port, generation", connection))
            {
                command.Parameters.Add(new() { Value = clusterId });
                using var reader = command.ExecuteReader();
                var members = new List<string>();
                while (reader.Read())
                {
                    members.Add(string.Create(CultureInfo.InvariantCulture,
                        $"{reader.GetInt32(0)}@{reader.GetInt32(1)} status {reader.GetInt32(2)} alive {reader.GetDateTime(3):HH:mm:ss.fff}"));
                }
                lines.Add($"--- orleans_membership of {clusterId}: {string.Join(", ", members)} ---");
            }
            return string.Join(Environment.NewLine, lines);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException)
        {
            return $"--- store: unreadable ({ex.Message}) ---";
        }
    }

    private static async Task<NpgsqlConnection> OpenAsync(string connectionString)
    {
        var connection = new NpgsqlConnection(connectionString);
        try
        {
            await connection.OpenAsync();
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }
}
