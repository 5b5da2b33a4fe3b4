using Npgsql;

namespace Volunteer.EndToEnd.Tests.Cluster;

/// <summary>Read-only queries on a cluster's PostgreSQL store, for checking what the silos made durable.</summary>
public static class PostgresDatabase
{
    public static async Task<IReadOnlyList<ReplicaRow>> ReplicasAsync(string connectionString, Guid jobId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
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
}
