using System.Data.Common;
using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>
/// Column lists and row mapping shared by every store: SQLite and PostgreSQL return the same columns
/// in the same order, and ADO.NET's typed getters read both.
/// </summary>
internal static class StoreRows
{
    public const string JobColumns =
        "id, app, parameters, target_results, min_quorum, max_error_results, max_total_results, deadline_seconds, " +
        "priority, unit_count, units_opened, units_assimilated, units_failed, state, accumulated, failure_reason, " +
        "created_at, finished_at";

    public const string UnitColumns = "job_id, unit_index, input, state, replica_count, canonical_replica";

    public const string WorkerColumns = "id, name, token_hash, public_key, cores, created_at";

    public static string ReplicaColumns(string alias) => string.Join(", ",
        new[] { "job_id", "unit_index", "replica", "state", "worker_id", "issued_at", "deadline", "reported_at", "outcome", "digest", "size", "payload", "error" }
            .Select(c => alias + c));

    public static JobRecord ReadJob(DbDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2),
        new Redundancy(r.GetInt32(3), r.GetInt32(4), r.GetInt32(5), r.GetInt32(6)),
        r.GetInt32(7), r.GetInt32(8), r.GetInt64(9), r.GetInt64(10), r.GetInt64(11), r.GetInt64(12),
        Enum.Parse<JobState>(r.GetString(13)), r.GetString(14), StringOrNull(r, 15),
        Time(r, 16), TimeOrNull(r, 17));

    public static UnitRecord ReadUnit(DbDataReader r) => new(
        r.GetGuid(0), r.GetInt64(1), r.GetString(2), Enum.Parse<UnitState>(r.GetString(3)),
        r.GetInt32(4), r.IsDBNull(5) ? null : r.GetInt32(5));

    public static ReplicaRecord ReadReplica(DbDataReader r) => new(
        r.GetGuid(0), r.GetInt64(1), r.GetInt32(2), Enum.Parse<ReplicaState>(r.GetString(3)),
        r.IsDBNull(4) ? null : r.GetGuid(4),
        TimeOrNull(r, 5), TimeOrNull(r, 6), TimeOrNull(r, 7),
        r.IsDBNull(8) ? null : Enum.Parse<ReportOutcome>(r.GetString(8)),
        StringOrNull(r, 9), r.GetInt64(10),
        r.IsDBNull(11) ? null : r.GetFieldValue<byte[]>(11),
        StringOrNull(r, 12));

    public static WorkerRecord ReadWorker(DbDataReader r) => new(
        r.GetGuid(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetInt32(4), Time(r, 5));

    public static async Task<List<T>> ReadAllAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }

    public static async Task<T?> ReadOneAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
        where T : class
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? read(reader) : null;
    }

    /// <summary>Pairs units with their replicas (both read in unit order).</summary>
    public static IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)> GroupByUnit(
        IReadOnlyList<UnitRecord> units, IReadOnlyList<ReplicaRecord> replicas)
    {
        var byUnit = replicas.ToLookup(r => r.UnitIndex);
        return units.Select(u => (u, (IReadOnlyList<ReplicaRecord>)byUnit[u.UnitIndex].ToList())).ToList();
    }

    private static DateTimeOffset Time(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();

    private static DateTimeOffset? TimeOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : Time(reader, ordinal);

    private static string? StringOrNull(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
