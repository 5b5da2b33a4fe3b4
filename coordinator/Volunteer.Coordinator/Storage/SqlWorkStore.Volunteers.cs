using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage;

public abstract partial class SqlWorkStore
{
    private Dictionary<CreditHolder, string>? _creditBucketsSql;

    /// <summary>SQL for the whole seconds from 1970-01-01 UTC to the time in <paramref name="column"/>, as a 64-bit integer.</summary>
    private protected abstract string UnixSeconds(string column);

    public async Task<IReadOnlyList<CreditBucketRecord>> ListCreditBucketsAsync(
        CreditHolder holder, Guid holderId, DateTimeOffset from, TimeSpan size, int count, CancellationToken cancellationToken = default)
    {
        if (size < TimeSpan.FromSeconds(1) || size.Ticks % TimeSpan.TicksPerSecond != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, "A stretch is a whole number of seconds, at least one.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        // Whole seconds, in UTC: the ledger's times compare as the store keeps them, and a stretch starts on a second.
        from = new DateTimeOffset(from.UtcTicks - from.UtcTicks % TimeSpan.TicksPerSecond, TimeSpan.Zero);
        var seconds = (long)size.TotalSeconds;
        _creditBucketsSql ??= new()
        {
            [CreditHolder.Account] = CreditBucketsOf("account_id"),
            [CreditHolder.Host] = CreditBucketsOf("worker_id"),
        };
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, _creditBucketsSql[holder],
            (ColumnKind.Id, holderId), (ColumnKind.Time, from), (ColumnKind.Time, from + count * size),
            (ColumnKind.Int64, from.ToUnixTimeSeconds()), (ColumnKind.Int64, seconds));
        return await ReadAllAsync(command,
            row => new CreditBucketRecord(from.AddSeconds(row.GetInt64(0) * seconds), row.GetDouble(1), row.GetInt64(2)), cancellationToken);
    }

    /// <summary>
    /// The lines whose <paramref name="holderColumn"/> is $1 written in [$2, $3), summed per stretch of $5 seconds from
    /// $4 (the seconds of $2): the stretch's number, credit, and grants less revocations. The holder's index on
    /// (holder, written_at) finds the window's lines.
    /// </summary>
    private string CreditBucketsOf(string holderColumn) => $"""
        SELECT (seconds - $4) / $5 AS bucket, SUM(amount), SUM(CASE WHEN amount > 0 THEN 1 WHEN amount < 0 THEN -1 ELSE 0 END)
        FROM (SELECT {UnixSeconds("written_at")} AS seconds, amount FROM credit_ledger
              WHERE {holderColumn} = $1 AND written_at >= $2 AND written_at < $3) lines
        GROUP BY bucket ORDER BY bucket
        """;
}
