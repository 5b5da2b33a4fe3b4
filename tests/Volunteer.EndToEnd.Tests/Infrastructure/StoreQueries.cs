using System.Data.Common;

namespace Volunteer.EndToEnd.Tests;

/// <summary>A replica row of the coordinator's store (infra/sql/*/001_schema.sql; the network since 002/003_accounts.sql).</summary>
/// <param name="Network">The network of the host it was issued to, as placement saw it (e.g. 127.1.0.0/24); null while unsent.</param>
/// <param name="UnitQuorum">Its unit's quorum (since 004/005_adaptive_replication_and_credit.sql): 1 for a unit computed alone by a trusted host.</param>
public sealed record ReplicaRow(Guid JobId, long UnitIndex, int Replica, string State, Guid? WorkerId, string? Outcome, string? Network, int UnitQuorum);

/// <summary>
/// Read-only queries on a coordinator's store, the same on SQLite and on PostgreSQL; each store opens the
/// connection and gives the job as its key column holds it (text in SQLite, uuid in PostgreSQL).
/// </summary>
public static class StoreQueries
{
    /// <summary>Every replica row of the job; (unit, replica) is the table's primary key with the job.</summary>
    public static IReadOnlyList<ReplicaRow> Replicas(DbConnection connection, Guid jobId, object jobKey)
    {
        using var command = Command(connection, jobKey, """
            SELECT r.unit_index, r.replica, r.state, r.worker_id, r.outcome, r.network, u.quorum FROM replicas r
            JOIN units u ON u.job_id = r.job_id AND u.unit_index = r.unit_index
            WHERE r.job_id = @job ORDER BY r.unit_index, r.replica
            """);
        using var reader = command.ExecuteReader();
        var rows = new List<ReplicaRow>();
        while (reader.Read())
        {
            rows.Add(new ReplicaRow(jobId, reader.GetInt64(0), reader.GetInt32(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : Guid.Parse(reader.GetValue(3).ToString()!),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt32(6)));
        }
        return rows;
    }

    /// <summary>The job row's state and assimilated-unit count, or null if there is no such job.</summary>
    public static (string State, long UnitsAssimilated, long UnitCount)? Job(DbConnection connection, object jobKey)
    {
        using var command = Command(connection, jobKey, "SELECT state, units_assimilated, unit_count FROM jobs WHERE id = @job");
        using var reader = command.ExecuteReader();
        return reader.Read() ? (reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2)) : null;
    }

    /// <summary>
    /// For failure messages (why is this job not finishing?): the job row, then the job's units that are split
    /// out and not finished, one line per unit with its replicas.
    /// </summary>
    public static List<string> DescribeJob(DbConnection connection, Guid jobId, object jobKey, int maxUnits = 20)
    {
        var lines = new List<string>
        {
            Job(connection, jobKey) is { } job
                ? $"--- store: job {jobId} {job.State}, {job.UnitsAssimilated}/{job.UnitCount} units assimilated ---"
                : $"--- store: no job {jobId} ---",
        };
        using var command = Command(connection, jobKey, """
            SELECT u.unit_index, u.state, r.replica, r.state, r.worker_id FROM units u
            LEFT JOIN replicas r ON r.job_id = u.job_id AND r.unit_index = u.unit_index
            WHERE u.job_id = @job AND u.state NOT IN ('Assimilated', 'Failed')
            ORDER BY u.unit_index, r.replica
            """);
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
                entry.Replicas.Add($"#{reader.GetInt32(2)} {reader.GetString(3)} {(reader.IsDBNull(4) ? "-" : reader.GetValue(4))}");
            }
        }
        lines.Add($"{units.Count} units split out and not finished:");
        lines.AddRange(units.Take(maxUnits).Select(u => $"unit {u.Key} {u.Value.State}: {string.Join("; ", u.Value.Replicas)}"));
        return lines;
    }

    private static DbCommand Command(DbConnection connection, object jobKey, string sql)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        var job = command.CreateParameter();
        job.ParameterName = "@job";
        job.Value = jobKey;
        command.Parameters.Add(job);
        return command;
    }
}
