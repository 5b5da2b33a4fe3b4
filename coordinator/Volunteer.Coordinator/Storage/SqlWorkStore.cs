using System.Data;
using System.Data.Common;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage;

/// <summary>
/// The reads both stores make, written once over ADO.NET: the SQL comes from the table descriptions
/// (<see cref="StoreTables"/>) with parameters written $1, $2, ... (positional in PostgreSQL, named in SQLite),
/// and the rows are read back by the same descriptions. A dialect supplies its connections and its parameters.
/// The job epochs (<see cref="JobEpoch"/>) are claimed here too, and judged here from the epochs a dialect reads
/// inside its group's transaction.
/// </summary>
public abstract partial class SqlWorkStore : IWorkStore
{
    private static readonly string ListJobsSql = $"""
        SELECT {StoreTables.Jobs.ColumnList()} FROM jobs
        WHERE ($1 IS NULL OR state = $1) AND ($3 IS NULL OR created_at < $3 OR (created_at = $3 AND id > $4))
        ORDER BY created_at DESC, id LIMIT $2
        """;

    private static readonly string UnitsInStateSql = $"""
        SELECT {StoreTables.Units.ColumnList()} FROM units
        WHERE job_id = $1 AND state = $2 AND unit_index > $3
        ORDER BY unit_index LIMIT $4
        """;

    private static readonly string OpenUnitsSql = $"""
        SELECT {StoreTables.Units.ColumnList()} FROM units
        WHERE job_id = $1 AND state NOT IN ('Assimilated', 'Failed')
        ORDER BY unit_index
        """;

    private static readonly string OpenUnitsReplicasSql = $"""
        SELECT {StoreTables.Replicas.ColumnList("r.")} FROM replicas r
        JOIN units u ON u.job_id = r.job_id AND u.unit_index = r.unit_index
        WHERE u.job_id = $1 AND u.state NOT IN ('Assimilated', 'Failed')
        ORDER BY r.unit_index, r.replica
        """;

    private static readonly string WorkerByPublicKeySql = $"""
        SELECT {StoreTables.Workers.ColumnList()} FROM workers WHERE public_key = $1
        """;

    private static readonly string HostReliabilitySql = $"""
        SELECT {StoreTables.HostReliability.ColumnList()} FROM host_reliability WHERE worker_id = $1 ORDER BY app
        """;

    private static readonly string HostFlagsSql = $"""
        SELECT {StoreTables.HostFlags.ColumnList()} FROM host_flags
        WHERE ($1 IS NULL OR worker_id = $1) AND ($3 IS NULL OR flagged_at < $3 OR (flagged_at = $3 AND (worker_id, app) > ($4, $5)))
        ORDER BY flagged_at DESC, worker_id, app LIMIT $2
        """;

    private static readonly string AccountWorkersSql = $"""
        SELECT {StoreTables.Workers.ColumnList()} FROM workers WHERE account_id = $1 ORDER BY created_at, id LIMIT $2
        """;

    private static readonly string JobBlobsSql = $"""
        SELECT {StoreTables.JobBlobs.ColumnList()} FROM job_blobs WHERE job_id = $1 AND ($2 IS NULL OR use = $2) ORDER BY use, digest
        """;

    // A job's inputs are needed while it runs; its results and result file as long as it is kept. A job_blobs row
    // whose job has no row (none is ever written so) keeps its blob too, on the safe side. A registered app version's
    // module and reducer are needed for good: versions never go.
    private const string BlobNeededSql = """
        SELECT 1 FROM job_blobs b LEFT JOIN jobs j ON j.id = b.job_id
        WHERE b.digest = $1 AND (b.use <> $2 OR j.state IS NULL OR j.state = $3)
        UNION ALL
        SELECT 1 FROM app_versions WHERE module = $1 OR reducer = $1
        LIMIT 1
        """;

    /// <summary>The leaderboard of each kind of holder in each order: the holder's row, then its name.</summary>
    private static readonly Dictionary<(CreditHolder, CreditOrder), string> StandingsSql = new()
    {
        [(CreditHolder.Account, CreditOrder.Total)] = StandingsOf("accounts", "total"),
        [(CreditHolder.Account, CreditOrder.RecentAverage)] = StandingsOf("accounts", "decayed_credit"),
        [(CreditHolder.Host, CreditOrder.Total)] = StandingsOf("workers", "total"),
        [(CreditHolder.Host, CreditOrder.RecentAverage)] = StandingsOf("workers", "decayed_credit"),
    };

    private static readonly Dictionary<CreditHolder, string> CreditEntriesSql = new()
    {
        [CreditHolder.Account] = CreditEntriesOf("account_id"),
        [CreditHolder.Host] = CreditEntriesOf("worker_id"),
    };

    private const string ClaimEpochSql = "UPDATE jobs SET epoch = epoch + 1 WHERE id = $1 AND state = $2 RETURNING epoch";

    public abstract Task InitializeAsync(CancellationToken cancellationToken);

    public abstract Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default);

    /// <summary>An open connection for reads; the caller disposes it.</summary>
    private protected abstract ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken);

    /// <summary>Runs one write of its own, outside the group commit, on a connection the dialect chooses.</summary>
    private protected abstract Task<TResult> WriteAloneAsync<TResult>(Func<DbConnection, Task<TResult>> write, CancellationToken cancellationToken);

    /// <summary>Parameter $<paramref name="position"/>, holding <paramref name="value"/> as the dialect keeps a column of <paramref name="kind"/>.</summary>
    private protected abstract DbParameter Parameter(int position, ColumnKind kind, object? value);

    public Task<JobEpoch?> ClaimEpochAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        WriteAloneAsync(async connection =>
        {
            await using var command = Command(connection, null, ClaimEpochSql, (ColumnKind.Id, jobId), (ColumnKind.Enum, JobState.Running));
            return await command.ExecuteScalarAsync(cancellationToken) is long epoch ? new JobEpoch(jobId, epoch) : null;
        }, cancellationToken);

    public Task<JobRecord?> FindJobAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.Jobs, [jobId], cancellationToken);

    public async Task<IReadOnlyList<JobRecord>> ListJobsAsync(
        JobState? state, int limit, JobRecord? after = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, ListJobsSql, (ColumnKind.Enum, state), (ColumnKind.Int32, limit),
            (ColumnKind.Time, after?.CreatedAt), (ColumnKind.Id, after?.Id));
        return await ReadAllAsync(command, StoreTables.Jobs.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)>> LoadOpenUnitsAsync(
        Guid jobId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        // One snapshot for both reads, so units and replicas agree with each other (SQLite's transactions are
        // always serializable; PostgreSQL's default, read committed, would take a snapshot per statement).
        await using var transaction = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var units = Command(connection, transaction, OpenUnitsSql, (ColumnKind.Id, jobId));
        await using var replicas = Command(connection, transaction, OpenUnitsReplicasSql, (ColumnKind.Id, jobId));
        var openUnits = await ReadAllAsync(units, StoreTables.Units.Read, cancellationToken);
        var byUnit = (await ReadAllAsync(replicas, StoreTables.Replicas.Read, cancellationToken)).ToLookup(r => r.UnitIndex);
        return openUnits.Select(u => (u, (IReadOnlyList<ReplicaRecord>)byUnit[u.UnitIndex].ToList())).ToList();
    }

    public async Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(
        Guid jobId, UnitState state, long afterIndex, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, UnitsInStateSql,
            (ColumnKind.Id, jobId), (ColumnKind.Enum, state), (ColumnKind.Int64, afterIndex), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, StoreTables.Units.Read, cancellationToken);
    }

    public Task<ReplicaRecord?> FindReplicaAsync(ReplicaRef replica, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.Replicas, [replica.JobId, replica.UnitIndex, replica.Replica], cancellationToken);

    public Task<WorkerRecord?> FindWorkerAsync(Guid workerId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.Workers, [workerId], cancellationToken);

    public async Task<bool> IsApiKeyKnownAsync(string keyHash, CancellationToken cancellationToken = default) =>
        await FindAsync(StoreTables.ApiKeys, [keyHash], cancellationToken) is not null;

    public Task<AccountRecord?> FindAccountAsync(Guid accountId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.Accounts, [accountId], cancellationToken);

    public async Task<WorkerRecord?> FindWorkerByPublicKeyAsync(string publicKey, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, WorkerByPublicKeySql, (ColumnKind.Text, publicKey));
        return (await ReadAllAsync(command, StoreTables.Workers.Read, cancellationToken)).SingleOrDefault();
    }

    public Task<HostQuotaRecord?> FindHostQuotaAsync(Guid workerId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.HostQuotas, [workerId], cancellationToken);

    public async Task<IReadOnlyList<HostReliabilityRecord>> ListHostReliabilityAsync(Guid workerId, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, HostReliabilitySql, (ColumnKind.Id, workerId));
        return await ReadAllAsync(command, StoreTables.HostReliability.Read, cancellationToken);
    }

    public async Task<IReadOnlyList<HostFlagRecord>> ListHostFlagsAsync(
        Guid? workerId, int limit, HostFlagRecord? after = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, HostFlagsSql, (ColumnKind.Id, workerId), (ColumnKind.Int32, limit),
            (ColumnKind.Time, after?.FlaggedAt), (ColumnKind.Id, after?.WorkerId), (ColumnKind.Text, after?.App));
        return await ReadAllAsync(command, StoreTables.HostFlags.Read, cancellationToken);
    }

    public Task<CreditTotalRecord?> FindCreditTotalAsync(CreditHolder holder, Guid holderId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.CreditTotals, [holder, holderId], cancellationToken);

    public async Task<IReadOnlyList<CreditStanding>> ListCreditStandingsAsync(
        CreditHolder holder, CreditOrder order, int offset, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, StandingsSql[(holder, order)],
            (ColumnKind.Enum, holder), (ColumnKind.Int64, (long)offset), (ColumnKind.Int32, limit));
        var name = StoreTables.CreditTotals.Columns.Count;
        return await ReadAllAsync(command, row => new CreditStanding(StoreTables.CreditTotals.Read(row), row.GetString(name)), cancellationToken);
    }

    public async Task<IReadOnlyList<WorkerRecord>> ListAccountWorkersAsync(Guid accountId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, AccountWorkersSql, (ColumnKind.Id, accountId), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, StoreTables.Workers.Read, cancellationToken);
    }

    public Task<JobRelayRecord?> FindJobRelayAsync(Guid jobId, CancellationToken cancellationToken = default) =>
        FindAsync(StoreTables.JobRelay, [jobId], cancellationToken);

    public async Task<IReadOnlyList<JobBlobRecord>> ListJobBlobsAsync(Guid jobId, JobBlobUse? use = null, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, JobBlobsSql, (ColumnKind.Id, jobId), (ColumnKind.Enum, use));
        return await ReadAllAsync(command, StoreTables.JobBlobs.Read, cancellationToken);
    }

    public async Task<bool> IsBlobNeededAsync(string digest, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, BlobNeededSql, (ColumnKind.Text, digest), (ColumnKind.Enum, JobBlobUse.Input),
            (ColumnKind.Enum, JobState.Running));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<CreditEntryRecord>> ListCreditEntriesAsync(
        CreditHolder holder, Guid holderId, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, CreditEntriesSql[holder], (ColumnKind.Id, holderId), (ColumnKind.Int32, limit));
        return await ReadAllAsync(command, StoreTables.CreditLedger.Read, cancellationToken);
    }

    /// <summary>
    /// Holders of one kind by <paramref name="orderColumn"/> descending (ties by id), named from <paramref name="names"/>
    /// (accounts or workers, by id): a holder with no such row has no name to show and is not ranked.
    /// </summary>
    private static string StandingsOf(string names, string orderColumn) => $"""
        SELECT {StoreTables.CreditTotals.ColumnList("c.")}, n.name FROM credit_totals c
        JOIN {names} n ON n.id = c.holder_id
        WHERE c.holder = $1
        ORDER BY c.{orderColumn} DESC, c.holder_id LIMIT $3 OFFSET $2
        """;

    /// <summary>The ledger lines whose <paramref name="holderColumn"/> is $1, newest first (ties by id), at most $2.</summary>
    private static string CreditEntriesOf(string holderColumn) => $"""
        SELECT {StoreTables.CreditLedger.ColumnList()} FROM credit_ledger WHERE {holderColumn} = $1
        ORDER BY written_at DESC, id LIMIT $2
        """;

    private async Task<TRecord?> FindAsync<TRecord>(Table<TRecord> table, object[] key, CancellationToken cancellationToken)
        where TRecord : class
    {
        await using var connection = await OpenReaderAsync(cancellationToken);
        await using var command = Command(connection, null, table.SelectByKey, [.. table.Key.Select((column, i) => (column.Kind, key[i]))]);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? table.Read(reader) : null;
    }

    /// <summary>The distinct fences of a group's batches: the epochs its transaction must find still current.</summary>
    private protected static IReadOnlyList<JobEpoch> FencesOf(IReadOnlyList<WorkBatch> group)
    {
        HashSet<JobEpoch>? fences = null;
        foreach (var batch in group)
        {
            if (batch.Fence is { } fence)
            {
                (fences ??= []).Add(fence);
            }
        }
        return fences is null ? [] : [.. fences];
    }

    /// <summary>The (id, epoch) rows of the fenced jobs, as the group's transaction reads them.</summary>
    private protected static async Task<Dictionary<Guid, long>> ReadEpochsAsync(DbDataReader rows, CancellationToken cancellationToken)
    {
        var epochs = new Dictionary<Guid, long>();
        while (await rows.ReadAsync(cancellationToken))
        {
            epochs[rows.GetGuid(0)] = rows.GetInt64(1);
        }
        return epochs;
    }

    /// <summary>Throws <see cref="StaleEpochException"/> for the first fence whose job has moved on to another epoch, or has no row.</summary>
    private protected static void EnsureCurrent(IReadOnlyList<JobEpoch> fences, Dictionary<Guid, long> epochs)
    {
        foreach (var fence in fences)
        {
            if (!epochs.TryGetValue(fence.JobId, out var epoch) || epoch != fence.Epoch)
            {
                throw new StaleEpochException(fence);
            }
        }
    }

    private DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql, params (ColumnKind Kind, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        for (var i = 0; i < parameters.Length; i++)
        {
            command.Parameters.Add(Parameter(i + 1, parameters[i].Kind, parameters[i].Value));
        }
        return command;
    }

    private static async Task<List<T>> ReadAllAsync<T>(DbCommand command, Func<DbDataReader, T> read, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(read(reader));
        }
        return rows;
    }
}
