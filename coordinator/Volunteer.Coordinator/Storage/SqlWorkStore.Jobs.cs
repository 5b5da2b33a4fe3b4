using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>The dashboard's job pages: pages and aggregates, each one statement over the tables' keys.</summary>
public abstract partial class SqlWorkStore
{
    private static readonly string JobsBeforeSql = $"""
        SELECT {StoreTables.Jobs.ColumnList()} FROM jobs
        WHERE ($1 IS NULL OR state = $1) AND (created_at > $3 OR (created_at = $3 AND id < $4))
        ORDER BY created_at, id DESC LIMIT $2
        """;

    private const string ReplicaCountsSql = """
        SELECT state, outcome, COUNT(*) FROM replicas WHERE job_id = $1 GROUP BY state, outcome
        """;

    // The page of units is the one UnitsInStateSql reads; their replicas come by the replicas' key.
    private const string JudgedReplicasSql = """
        SELECT r.unit_index, r.replica, r.state, r.outcome, r.error
        FROM (SELECT unit_index FROM units WHERE job_id = $1 AND state = $2 AND unit_index > $3 ORDER BY unit_index LIMIT $4) p
        JOIN replicas r ON r.job_id = $1 AND r.unit_index = p.unit_index
        ORDER BY r.unit_index, r.replica
        """;

    private string? _validatedOverTimeSql;

    // A unit is validated when its quorum forms, which its canonical replica's report completes or precedes: close enough
    // for a chart, and one join by the replicas' key per unit.
    private string ValidatedOverTimeSql => _validatedOverTimeSql ??= $"""
        SELECT {MillisecondsBetween("$2", "r.reported_at")} / $3, COUNT(*) FROM units u
        JOIN replicas r ON r.job_id = u.job_id AND r.unit_index = u.unit_index AND r.replica = u.canonical_replica
        WHERE u.job_id = $1 AND u.state IN ('Valid', 'Assimilated') AND r.reported_at IS NOT NULL
        GROUP BY 1 ORDER BY 1
        """;

    /// <summary>
    /// SQL for the whole milliseconds from <paramref name="start"/> to <paramref name="time"/>, as a 64-bit integer: the
    /// dialects keep times differently. Whole milliseconds, so that a time on a bucket's edge falls in one bucket on both.
    /// </summary>
    private protected abstract string MillisecondsBetween(string start, string time);

    public async Task<IReadOnlyList<JobRecord>> ListJobsBeforeAsync(
        JobState? state, int limit, JobRecord before, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(before);
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, JobsBeforeSql, (ColumnKind.Enum, state), (ColumnKind.Int32, limit),
            (ColumnKind.Time, before.CreatedAt), (ColumnKind.Id, before.Id));
        var page = await ReadAllAsync(command, StoreTables.Jobs.Read, cancellationToken);
        page.Reverse();
        return page;
    }

    public async Task<IReadOnlyList<TimeBucketCount>> CountValidatedUnitsOverTimeAsync(
        Guid jobId, DateTimeOffset start, TimeSpan bucket, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(bucket, TimeSpan.Zero);
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, ValidatedOverTimeSql,
            (ColumnKind.Id, jobId), (ColumnKind.Time, start), (ColumnKind.Int64, Math.Max(1, (long)bucket.TotalMilliseconds)));
        return await ReadAllAsync(command, row => new TimeBucketCount(row.GetInt64(0), row.GetInt64(1)), cancellationToken);
    }

    public async Task<IReadOnlyList<ReplicaStateCount>> CountReplicasAsync(Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, ReplicaCountsSql, (ColumnKind.Id, jobId));
        return await ReadAllAsync(command, row => new ReplicaStateCount(
            Enum.Parse<ReplicaState>(row.GetString(0)),
            row.IsDBNull(1) ? null : Enum.Parse<ReportOutcome>(row.GetString(1)),
            row.GetInt64(2)), cancellationToken);
    }

    public async Task<IReadOnlyList<JudgedReplica>> ListJudgedReplicasAsync(
        Guid jobId, UnitState state, long afterIndex, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, JudgedReplicasSql,
            (ColumnKind.Id, jobId), (ColumnKind.Enum, state), (ColumnKind.Int64, afterIndex), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, row => new JudgedReplica(
            row.GetInt64(0), row.GetInt32(1), Enum.Parse<ReplicaState>(row.GetString(2)),
            row.IsDBNull(3) ? null : Enum.Parse<ReportOutcome>(row.GetString(3)),
            row.IsDBNull(4) ? null : row.GetString(4)), cancellationToken);
    }
}
