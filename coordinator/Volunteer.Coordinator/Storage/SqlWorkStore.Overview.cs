using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

public abstract partial class SqlWorkStore
{
    // One round trip; PostgreSQL sums bigints as numeric, hence the casts.
    private const string JobTotalsSql = """
        SELECT (SELECT CAST(COALESCE(SUM(units_assimilated), 0) AS bigint) FROM jobs),
            CAST(COALESCE(SUM(r.coordinator_bytes), 0) AS bigint), CAST(COALESCE(SUM(r.peer_bytes), 0) AS bigint),
            CAST(COALESCE(SUM(r.bad_chunks), 0) AS bigint), CAST(COALESCE(SUM(r.results_pulled), 0) AS bigint),
            CAST(COALESCE(SUM(r.reports_relayed), 0) AS bigint)
        FROM job_relay r JOIN jobs j ON j.id = r.job_id WHERE j.state <> $1
        """;

    public async Task<JobTotals> SumJobsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, JobTotalsSql, (ColumnKind.Enum, JobState.Running));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return new JobTotals(reader.GetInt64(0),
            new JobRelay(reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5)));
    }
}
