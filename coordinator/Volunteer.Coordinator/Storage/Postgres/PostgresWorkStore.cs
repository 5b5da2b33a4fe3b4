using System.Data.Common;
using Npgsql;
using NpgsqlTypes;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage.Tables;

namespace Volunteer.Coordinator.Storage.Postgres;

/// <summary>
/// The production store: PostgreSQL through Npgsql, shared by every silo of a cluster. Each group
/// commit is one transaction of at most one statement per table, plus one that checks the group's
/// job epochs: the group's rows travel as arrays and are upserted with unnest, so a commit costs the
/// same few round trips for one report or a thousand.
/// </summary>
public sealed partial class PostgresWorkStore : SqlWorkStore, IAsyncDisposable
{
    // The fenced jobs' rows stay locked until the group's transaction ends: a claim of a new epoch waits for it,
    // and it waits for a claim under way, then reads the epoch that claim committed (a locking read sees the newest
    // row). In id order, so that two silos' groups never wait on each other in a circle.
    private const string LockEpochsSql = "SELECT id, epoch FROM jobs WHERE id = ANY($1) ORDER BY id FOR NO KEY UPDATE";

    private readonly NpgsqlDataSource _dataSource;
    private readonly GroupCommit _groupCommit;

    // The group commit's single writer keeps one connection of its own. Taking one from the pool for each
    // commit cycled through every idle pooled connection, and each of those kept its last group's parameter
    // arrays alive: hundreds of MB with 250 pooled connections (dotnet-gcdump after a benchmark run).
    private NpgsqlConnection? _writerConnection;

    public PostgresWorkStore(NpgsqlDataSource dataSource)
    {
        _dataSource = dataSource;
        _groupCommit = new(CommitGroupAsync);
    }

    public override async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Silos starting together must not race each other through the DDL.
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var command = new NpgsqlCommand("SELECT pg_advisory_xact_lock(7243001)", connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        foreach (var script in PostgresSchema.Scripts)
        {
            await using var command = new NpgsqlCommand(SqlScripts.Read(script), connection, transaction);
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    public override Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default) =>
        _groupCommit.CommitAsync(batch).WaitAsync(cancellationToken);

    private async Task CommitGroupAsync(IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken)
    {
        if (_writerConnection is not { State: System.Data.ConnectionState.Open })
        {
            await DropWriterConnectionAsync();
            _writerConnection = await _dataSource.OpenConnectionAsync(cancellationToken);
        }
        try
        {
            await WriteGroupAsync(_writerConnection, group, cancellationToken);
        }
        catch (Exception ex) when (ex is not StaleEpochException)
        {
            // The connection may be what failed (a restarted server, say): the next attempt starts on a fresh one.
            await DropWriterConnectionAsync();
            throw;
        }
    }

    private static async Task WriteGroupAsync(NpgsqlConnection connection, IReadOnlyList<WorkBatch> group, CancellationToken cancellationToken)
    {
        // Later batches overwrite earlier ones: one upsert statement may touch each row only once.
        var jobs = new Dictionary<Guid, JobRecord>();
        var units = new Dictionary<(Guid, long), UnitRecord>();
        var replicas = new Dictionary<(Guid, long, int), ReplicaRecord>();
        var workers = new List<WorkerRecord>();
        var apiKeys = new Dictionary<string, ApiKeyRecord>();
        var accounts = new List<AccountRecord>();
        var hostQuotas = new Dictionary<Guid, HostQuotaRecord>();
        // Rows that add to the stored ones are added up first, in order: a stretch then the next is one stretch.
        var hostReliability = new Dictionary<(Guid, string), HostReliabilityRecord>();
        var creditLedger = new List<CreditEntryRecord>();
        var creditTotals = new Dictionary<(CreditHolder, Guid), CreditTotalRecord>();
        var hostFlags = new Dictionary<(Guid, string), HostFlagRecord>();
        var jobBlobs = new HashSet<JobBlobRecord>();
        var jobRelay = new Dictionary<Guid, JobRelayRecord>();
        foreach (var batch in group)
        {
            batch.Jobs.ForEach(j => jobs[j.Id] = j);
            batch.Units.ForEach(u => units[(u.JobId, u.UnitIndex)] = u);
            batch.Replicas.ForEach(r => replicas[(r.JobId, r.UnitIndex, r.Replica)] = r);
            workers.AddRange(batch.Workers);
            batch.ApiKeys.ForEach(k => apiKeys.TryAdd(k.KeyHash, k));
            accounts.AddRange(batch.Accounts);
            batch.HostQuotas.ForEach(q => hostQuotas[q.WorkerId] = q);
            batch.Reliability.ForEach(r => AddUp(hostReliability, (r.WorkerId, r.App), r, (earlier, later) => earlier.Then(later)));
            creditLedger.AddRange(batch.Credits);
            foreach (var total in batch.Credits.SelectMany(CreditTotalRecord.Of))
            {
                AddUp(creditTotals, (total.Holder, total.HolderId), total, (earlier, later) => earlier.Plus(later));
            }
            batch.HostFlags.ForEach(f => hostFlags[(f.WorkerId, f.App)] = f);
            jobBlobs.UnionWith(batch.JobBlobs);
            batch.Relay.ForEach(r => AddUp(jobRelay, r.JobId, r, (earlier, later) => earlier with { Figures = earlier.Figures.Plus(later.Figures) }));
        }

        var fences = FencesOf(group);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var statements = new NpgsqlBatch(connection, transaction);
        if (fences.Count > 0)
        {
            statements.BatchCommands.Add(LockEpochs(fences));
        }
        if (jobs.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Jobs.Command(jobs.Values));
        }
        if (units.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Units.Command(units.Values));
        }
        if (replicas.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Replicas.Command(replicas.Values));
        }
        // An account before the hosts attached to it.
        if (accounts.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Accounts.Command(accounts));
        }
        if (workers.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.Workers.Command(workers));
        }
        if (apiKeys.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.ApiKeys.Command(apiKeys.Values));
        }
        if (hostQuotas.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.HostQuotas.Command(hostQuotas.Values));
        }
        if (hostReliability.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.HostReliability.Command(hostReliability.Values));
        }
        if (creditLedger.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.CreditLedger.Command(creditLedger));
            statements.BatchCommands.Add(PostgresUpserts.CreditTotals.Command(creditTotals.Values));
        }
        if (hostFlags.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.HostFlags.Command(hostFlags.Values));
        }
        if (jobBlobs.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.JobBlobs.Command(jobBlobs));
        }
        if (jobRelay.Count > 0)
        {
            statements.BatchCommands.Add(PostgresUpserts.JobRelay.Command(jobRelay.Values));
        }
        if (fences.Count == 0)
        {
            await statements.ExecuteNonQueryAsync(cancellationToken);
        }
        else
        {
            // One round trip still: the writes go out with the check, and a stale group is rolled back, never committed.
            Dictionary<Guid, long> epochs;
            await using (var results = await statements.ExecuteReaderAsync(cancellationToken))
            {
                epochs = await ReadEpochsAsync(results, cancellationToken);
                while (await results.NextResultAsync(cancellationToken))
                {
                }
            }
            EnsureCurrent(fences, epochs);
        }
        await transaction.CommitAsync(cancellationToken);
    }

    /// <summary>Adds <paramref name="row"/> to the row of <paramref name="key"/> so far, if any, with <paramref name="then"/>.</summary>
    private static void AddUp<TKey, TRecord>(Dictionary<TKey, TRecord> rows, TKey key, TRecord row, Func<TRecord, TRecord, TRecord> then)
        where TKey : notnull =>
        rows[key] = rows.TryGetValue(key, out var earlier) ? then(earlier, row) : row;

    private static NpgsqlBatchCommand LockEpochs(IReadOnlyList<JobEpoch> fences)
    {
        var jobIds = new Guid[fences.Count];
        for (var i = 0; i < jobIds.Length; i++)
        {
            jobIds[i] = fences[i].JobId;
        }
        return new NpgsqlBatchCommand(LockEpochsSql)
        {
            Parameters = { new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = jobIds } },
        };
    }

    private protected override async ValueTask<DbConnection> OpenReaderAsync(CancellationToken cancellationToken) =>
        await _dataSource.OpenConnectionAsync(cancellationToken);

    // On a pooled connection of its own: the group writer's connection belongs to the group commit. The row lock
    // orders the write with the groups that check the same job.
    private protected override async Task<TResult> WriteAloneAsync<TResult>(Func<DbConnection, Task<TResult>> write, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        return await write(connection);
    }

    // Unnamed parameters are positional: $1 is the first one added.
    private protected override DbParameter Parameter(int position, ColumnKind kind, object? value) =>
        PostgresTypes.Parameter(kind, value);

    private protected override string MillisecondsBetween(string start, string time) =>
        $"floor(extract(epoch from ({time} - {start})) * 1000)::bigint";

    private async Task DropWriterConnectionAsync()
    {
        if (_writerConnection is { } connection)
        {
            _writerConnection = null;
            await connection.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _groupCommit.DisposeAsync();
        await DropWriterConnectionAsync();
    }
}
