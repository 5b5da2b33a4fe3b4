using Microsoft.Data.Sqlite;

namespace Volunteer.EndToEnd.Tests;

/// <summary>A replica row of the coordinator's SQLite store (infra/sql/sqlite/001_schema.sql).</summary>
public sealed record ReplicaRow(Guid JobId, long UnitIndex, int Replica, string State, Guid? WorkerId, string? Outcome);

/// <summary>Read-only queries on the coordinator's database file, for checking what it made durable.</summary>
public static class VolunteerDatabase
{
    public static IReadOnlyList<ReplicaRow> Replicas(string databasePath, Guid jobId)
    {
        using var connection = Open(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT unit_index, replica, state, worker_id, outcome FROM replicas
            WHERE job_id = $job ORDER BY unit_index, replica
            """;
        command.Parameters.AddWithValue("$job", jobId.ToString("D"));
        using var reader = command.ExecuteReader();
        var rows = new List<ReplicaRow>();
        while (reader.Read())
        {
            rows.Add(new ReplicaRow(
                jobId,
                reader.GetInt64(0),
                reader.GetInt32(1),
                reader.GetString(2),
                reader.IsDBNull(3) ? null : Guid.Parse(reader.GetString(3)),
                reader.IsDBNull(4) ? null : reader.GetString(4)));
        }
        return rows;
    }

    /// <summary>The job row's state and assimilated-unit count, or null if there is no such job.</summary>
    public static (string State, long UnitsAssimilated, long UnitCount)? Job(string databasePath, Guid jobId)
    {
        using var connection = Open(databasePath);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT state, units_assimilated, unit_count FROM jobs WHERE id = $job";
        command.Parameters.AddWithValue("$job", jobId.ToString("D"));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    /// <summary>
    /// The replicas of the job's units that are not yet assimilated, one line per unit, for failure
    /// messages: why is this job not finishing? Never throws.
    /// </summary>
    public static string DescribeOpenUnits(string databasePath, Guid jobId, int maxUnits = 20)
    {
        try
        {
            using var connection = Open(databasePath);
            using var command = connection.CreateCommand();
            command.CommandText = """
                SELECT u.unit_index, u.state, r.replica, r.state, r.worker_id FROM units u
                LEFT JOIN replicas r ON r.job_id = u.job_id AND r.unit_index = u.unit_index
                WHERE u.job_id = $job AND u.state NOT IN ('Assimilated', 'Failed')
                ORDER BY u.unit_index, r.replica
                """;
            command.Parameters.AddWithValue("$job", jobId.ToString("D"));
            using var reader = command.ExecuteReader();
            var units = new SortedDictionary<long, List<string>>();
            var states = new Dictionary<long, string>();
            while (reader.Read())
            {
                var unit = reader.GetInt64(0);
                states[unit] = reader.GetString(1);
                if (!units.TryGetValue(unit, out var replicas))
                {
                    units[unit] = replicas = [];
                }
                if (!reader.IsDBNull(2))
                {
                    replicas.Add($"#{reader.GetInt32(2)} {reader.GetString(3)} {(reader.IsDBNull(4) ? "-" : reader.GetString(4))}");
                }
            }
            return $"--- store: {units.Count} units of job {jobId} split out and not finished ---" + Environment.NewLine +
                string.Join(Environment.NewLine, units.Take(maxUnits).Select(u => $"unit {u.Key} {states[u.Key]}: {string.Join("; ", u.Value)}"));
        }
        catch (Exception ex) when (ex is SqliteException or InvalidOperationException or IOException)
        {
            return $"--- store: unreadable ({ex.Message}) ---";
        }
    }

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
