using System.Data.Common;
using System.Text;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage;

public abstract partial class SqlWorkStore
{
    /// <summary>Hosts per statement when marking syncs: two parameters each, well under either dialect's limit.</summary>
    private const int HostsPerStatement = 500;

    private const string ActiveHostsSql = """
        SELECT COUNT(*), COUNT(DISTINCT account_id), COALESCE(SUM(cores), 0) FROM workers WHERE last_synced_at >= $1
        """;

    // The page is cut from workers alone (by the workers_by_last_seen index), then joined: a page costs its own rows.
    private const string HostsPageSql = """
        SELECT p.id, p.name, p.account_id, a.name, p.cores, p.created_at, p.last_synced_at,
            CAST(COALESCE(SUM(r.valid), 0) AS bigint), CAST(COALESCE(SUM(r.invalid), 0) AS bigint),
            CAST(COALESCE(SUM(r.errors), 0) AS bigint), CAST(COALESCE(SUM(r.timed_out), 0) AS bigint),
            CAST(COALESCE(MIN(r.consecutive_valid), 0) AS bigint),
            CAST(COALESCE(SUM(r.turnaround_seconds), 0) AS double precision), CAST(COALESCE(SUM(r.turnarounds), 0) AS bigint),
            EXISTS (SELECT 1 FROM host_flags f WHERE f.worker_id = p.id)
        FROM (
            SELECT id, name, account_id, cores, created_at, last_synced_at FROM workers
            WHERE $1 IS NULL OR COALESCE(last_synced_at, created_at) < $1
                OR (COALESCE(last_synced_at, created_at) = $1 AND id < $2)
            ORDER BY COALESCE(last_synced_at, created_at) DESC, id DESC LIMIT $3
        ) p
        LEFT JOIN accounts a ON a.id = p.account_id
        LEFT JOIN host_reliability r ON r.worker_id = p.id
        GROUP BY p.id, p.name, p.account_id, a.name, p.cores, p.created_at, p.last_synced_at
        ORDER BY COALESCE(p.last_synced_at, p.created_at) DESC, p.id DESC
        """;

    public Task MarkHostsSyncedAsync(IReadOnlyCollection<HostSynced> synced, CancellationToken cancellationToken = default)
    {
        if (synced.Count == 0)
        {
            return Task.CompletedTask;
        }
        return WriteAloneAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var chunk in synced.Chunk(HostsPerStatement))
            {
                var parameters = new (ColumnKind, object?)[chunk.Length * 2];
                for (var i = 0; i < chunk.Length; i++)
                {
                    parameters[2 * i] = (ColumnKind.Id, chunk[i].WorkerId);
                    parameters[2 * i + 1] = (ColumnKind.Time, chunk[i].At);
                }
                await using var command = Command(connection, transaction, MarkHostsSyncedSql(chunk.Length), parameters);
                await command.ExecuteNonQueryAsync(cancellationToken);
            }
            await transaction.CommitAsync(cancellationToken);
            return true;
        }, cancellationToken);
    }

    public async Task<HostActivityCount> CountHostsActiveAsync(DateTimeOffset since, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, ActiveHostsSql, (ColumnKind.Time, since));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new HostActivityCount(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    public async Task<IReadOnlyList<HostListing>> ListHostsAsync(
        int limit, (DateTimeOffset LastSeenAt, Guid WorkerId)? after = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, HostsPageSql,
            (ColumnKind.Time, after?.LastSeenAt), (ColumnKind.Id, after?.WorkerId), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, row => new HostListing(
            row.GetGuid(0), row.GetString(1), row.GetGuid(2), row.IsDBNull(3) ? null : row.GetString(3), row.GetInt32(4),
            ReadTime(row, 5), row.IsDBNull(6) ? null : ReadTime(row, 6),
            new HostTally(row.GetInt64(7), row.GetInt64(8), row.GetInt64(9), row.GetInt64(10), row.GetInt64(11), row.GetDouble(12), row.GetInt64(13)),
            row.GetBoolean(14)), cancellationToken);
    }

    /// <summary>
    /// Sets last_synced_at of <paramref name="hosts"/> hosts ($1, $2 the first host's id and time, and so on), never
    /// back: VALUES' columns are column1, column2 in both dialects, and both take UPDATE ... FROM.
    /// </summary>
    private static string MarkHostsSyncedSql(int hosts)
    {
        var values = new StringBuilder();
        for (var i = 0; i < hosts; i++)
        {
            values.Append(i == 0 ? "" : ", ").Append($"(${2 * i + 1}, ${2 * i + 2})");
        }
        return $"""
            UPDATE workers SET last_synced_at = v.synced_at
            FROM (SELECT column1 AS worker_id, column2 AS synced_at FROM (VALUES {values}) AS s) AS v
            WHERE workers.id = v.worker_id AND (workers.last_synced_at IS NULL OR workers.last_synced_at < v.synced_at)
            """;
    }

    // As the table descriptions read a time: both drivers read timestamptz and ISO text as a DateTimeOffset.
    private static DateTimeOffset ReadTime(DbDataReader row, int ordinal) => row.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();
}
