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
        SELECT COUNT(*), COUNT(DISTINCT w.account_id), COALESCE(SUM(w.cores), 0)
        FROM host_presence p JOIN workers w ON w.id = p.worker_id WHERE p.last_synced_at >= $1
        """;

    // A page sorts every host by when it was last seen: host_presence has no index on the time, so that its updates (one
    // per host every two minutes, the hot path) touch one heap page and no index. An operator's page view pays instead
    // (a top-N sort over all hosts).
    private const string HostsPageSql = """
        SELECT p.id, p.name, p.account_id, a.name, p.cores, p.created_at, p.last_synced_at,
            CAST(COALESCE(SUM(r.valid), 0) AS bigint), CAST(COALESCE(SUM(r.invalid), 0) AS bigint),
            CAST(COALESCE(SUM(r.errors), 0) AS bigint), CAST(COALESCE(SUM(r.timed_out), 0) AS bigint),
            CAST(COALESCE(MIN(r.consecutive_valid), 0) AS bigint),
            CAST(COALESCE(SUM(r.turnaround_seconds), 0) AS double precision), CAST(COALESCE(SUM(r.turnarounds), 0) AS bigint),
            EXISTS (SELECT 1 FROM host_flags f WHERE f.worker_id = p.id)
        FROM (
            SELECT w.id, w.name, w.account_id, w.cores, w.created_at, h.last_synced_at
            FROM workers w LEFT JOIN host_presence h ON h.worker_id = w.id
            WHERE $1 IS NULL OR COALESCE(h.last_synced_at, w.created_at) < $1
                OR (COALESCE(h.last_synced_at, w.created_at) = $1 AND w.id < $2)
            ORDER BY COALESCE(h.last_synced_at, w.created_at) DESC, w.id DESC LIMIT $3
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
        // One statement may change a row only once: of a host listed twice, its latest time.
        var latest = synced.GroupBy(s => s.WorkerId).Select(host => host.MaxBy(s => s.At)!).ToList();
        return WriteAloneAsync(async connection =>
        {
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            foreach (var chunk in latest.Chunk(HostsPerStatement))
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
    /// Records when <paramref name="hosts"/> hosts last synced ($1, $2 the first host's id and time, and so on), never
    /// back, for registered hosts only: VALUES' columns are column1, column2 in both dialects; both take INSERT ... ON
    /// CONFLICT DO UPDATE ... WHERE (SQLite wants a WHERE on the SELECT of an upsert, so that ON is not read as a join's).
    /// </summary>
    private static string MarkHostsSyncedSql(int hosts)
    {
        var values = new StringBuilder();
        for (var i = 0; i < hosts; i++)
        {
            values.Append(i == 0 ? "" : ", ").Append($"(${2 * i + 1}, ${2 * i + 2})");
        }
        return $"""
            INSERT INTO host_presence (worker_id, last_synced_at)
            SELECT v.worker_id, v.synced_at
            FROM (SELECT column1 AS worker_id, column2 AS synced_at FROM (VALUES {values}) AS s) AS v
            JOIN workers ON workers.id = v.worker_id
            WHERE true
            ON CONFLICT (worker_id) DO UPDATE SET last_synced_at = excluded.last_synced_at
            WHERE host_presence.last_synced_at < excluded.last_synced_at
            """;
    }

    // As the table descriptions read a time: both drivers read timestamptz and ISO text as a DateTimeOffset.
    private static DateTimeOffset ReadTime(DbDataReader row, int ordinal) => row.GetFieldValue<DateTimeOffset>(ordinal).ToUniversalTime();
}
