using Volunteer.Coordinator.Scheduling;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Storage.Tables;

/// <summary>
/// The store's tables, one description per record. The DDL under infra/sql declares the same tables for each
/// dialect; the store conformance tests check that every live table has exactly these columns.
/// </summary>
internal static class StoreTables
{
    /// <summary>
    /// A job's spec is written once; its cursor, counters, state and running result change as it goes. Its epoch
    /// (<see cref="JobEpoch"/>) is the store's alone: claimed and checked by the store's own statements, never
    /// written by the upsert, so no batch of a stale activation can set it back.
    /// </summary>
    public static readonly Table<JobRecord> Jobs = DescribeJobs();

    /// <summary>A unit's input is written once; its state and replica bookkeeping change.</summary>
    public static readonly Table<UnitRecord> Units = DescribeUnits();

    /// <summary>Everything about a replica but its identity changes as it is leased, reported and judged.</summary>
    public static readonly Table<ReplicaRecord> Replicas = DescribeReplicas();

    /// <summary>A worker is registered once: a second registration under the same id is refused.</summary>
    public static readonly Table<WorkerRecord> Workers = DescribeWorkers();

    /// <summary>Adding a known API key again changes nothing.</summary>
    public static readonly Table<ApiKeyRecord> ApiKeys = DescribeApiKeys();

    /// <summary>An account is created once: a second one under the same id is refused.</summary>
    public static readonly Table<AccountRecord> Accounts = DescribeAccounts();

    /// <summary>A host's quota row is overwritten as its results are judged and replicas issued to it.</summary>
    public static readonly Table<HostQuotaRecord> HostQuotas = DescribeHostQuotas();

    public static readonly IReadOnlyList<ITable> All = [Jobs, Units, Replicas, Workers, ApiKeys, Accounts, HostQuotas];

    private static Table<JobRecord> DescribeJobs()
    {
        var t = new TableBuilder<JobRecord>("jobs");
        var id = t.Id("id", j => j.Id);
        var app = t.Text("app", j => j.App);
        var parameters = t.Text("parameters", j => j.Parameters);
        var targetResults = t.Int32("target_results", j => j.Redundancy.TargetResults);
        var minQuorum = t.Int32("min_quorum", j => j.Redundancy.MinQuorum);
        var maxErrorResults = t.Int32("max_error_results", j => j.Redundancy.MaxErrorResults);
        var maxTotalResults = t.Int32("max_total_results", j => j.Redundancy.MaxTotalResults);
        var deadlineSeconds = t.Int32("deadline_seconds", j => j.DeadlineSeconds);
        var priority = t.Int32("priority", j => j.Priority);
        var unitCount = t.Int64("unit_count", j => j.UnitCount);
        var unitsOpened = t.Int64("units_opened", j => j.UnitsOpened);
        var unitsAssimilated = t.Int64("units_assimilated", j => j.UnitsAssimilated);
        var unitsFailed = t.Int64("units_failed", j => j.UnitsFailed);
        var state = t.Enum("state", j => j.State);
        var accumulated = t.Text("accumulated", j => j.Accumulated);
        var failureReason = t.TextOrNull("failure_reason", j => j.FailureReason);
        var createdAt = t.Time("created_at", j => j.CreatedAt);
        var finishedAt = t.TimeOrNull("finished_at", j => j.FinishedAt);
        t.KeptByStore("epoch", ColumnKind.Int64);
        return t.Upsert(
            key: [id],
            update: [unitsOpened, unitsAssimilated, unitsFailed, state, accumulated, failureReason, finishedAt],
            read: row => new JobRecord(
                id.Read(row), app.Read(row), parameters.Read(row),
                new Redundancy(targetResults.Read(row), minQuorum.Read(row), maxErrorResults.Read(row), maxTotalResults.Read(row)),
                deadlineSeconds.Read(row), priority.Read(row), unitCount.Read(row), unitsOpened.Read(row),
                unitsAssimilated.Read(row), unitsFailed.Read(row), state.Read(row), accumulated.Read(row),
                failureReason.Read(row), createdAt.Read(row), finishedAt.Read(row)));
    }

    private static Table<UnitRecord> DescribeUnits()
    {
        var t = new TableBuilder<UnitRecord>("units");
        var jobId = t.Id("job_id", u => u.JobId);
        var unitIndex = t.Int64("unit_index", u => u.UnitIndex);
        var input = t.Text("input", u => u.Input);
        var state = t.Enum("state", u => u.State);
        var replicaCount = t.Int32("replica_count", u => u.ReplicaCount);
        var canonicalReplica = t.Int32OrNull("canonical_replica", u => u.CanonicalReplica);
        return t.Upsert(
            key: [jobId, unitIndex],
            update: [state, replicaCount, canonicalReplica],
            read: row => new UnitRecord(
                jobId.Read(row), unitIndex.Read(row), input.Read(row), state.Read(row), replicaCount.Read(row), canonicalReplica.Read(row)));
    }

    private static Table<ReplicaRecord> DescribeReplicas()
    {
        var t = new TableBuilder<ReplicaRecord>("replicas");
        var jobId = t.Id("job_id", r => r.JobId);
        var unitIndex = t.Int64("unit_index", r => r.UnitIndex);
        var replica = t.Int32("replica", r => r.Replica);
        var state = t.Enum("state", r => r.State);
        var workerId = t.IdOrNull("worker_id", r => r.WorkerId);
        var issuedAt = t.TimeOrNull("issued_at", r => r.IssuedAt);
        var deadline = t.TimeOrNull("deadline", r => r.Deadline);
        var reportedAt = t.TimeOrNull("reported_at", r => r.ReportedAt);
        var outcome = t.EnumOrNull("outcome", r => r.Outcome);
        var digest = t.TextOrNull("digest", r => r.Digest);
        var size = t.Int64("size", r => r.Size);
        var payload = t.BytesOrNull("payload", r => r.Payload);
        var error = t.TextOrNull("error", r => r.Error);
        var accountId = t.IdOrNull("account_id", r => r.AccountId);
        var network = t.TextOrNull("network", r => r.Network);
        return t.Upsert(
            key: [jobId, unitIndex, replica],
            update: [state, workerId, issuedAt, deadline, reportedAt, outcome, digest, size, payload, error, accountId, network],
            read: row => new ReplicaRecord(
                jobId.Read(row), unitIndex.Read(row), replica.Read(row), state.Read(row), workerId.Read(row),
                issuedAt.Read(row), deadline.Read(row), reportedAt.Read(row), outcome.Read(row), digest.Read(row),
                size.Read(row), payload.Read(row), error.Read(row), accountId.Read(row), network.Read(row)));
    }

    private static Table<WorkerRecord> DescribeWorkers()
    {
        var t = new TableBuilder<WorkerRecord>("workers");
        var id = t.Id("id", w => w.Id);
        var name = t.Text("name", w => w.Name);
        var tokenHash = t.Text("token_hash", w => w.TokenHash);
        var publicKey = t.Text("public_key", w => w.PublicKey);
        var cores = t.Int32("cores", w => w.Cores);
        var createdAt = t.Time("created_at", w => w.CreatedAt);
        var accountId = t.Id("account_id", w => w.AccountId);
        return t.Insert(
            key: [id],
            read: row => new WorkerRecord(
                id.Read(row), accountId.Read(row), name.Read(row), tokenHash.Read(row), publicKey.Read(row), cores.Read(row),
                createdAt.Read(row)));
    }

    private static Table<AccountRecord> DescribeAccounts()
    {
        var t = new TableBuilder<AccountRecord>("accounts");
        var id = t.Id("id", a => a.Id);
        var name = t.Text("name", a => a.Name);
        var email = t.TextOrNull("email", a => a.Email);
        var keyHash = t.Text("key_hash", a => a.KeyHash);
        var origin = t.Enum("origin", a => a.Origin);
        var createdAt = t.Time("created_at", a => a.CreatedAt);
        return t.Insert(
            key: [id],
            read: row => new AccountRecord(id.Read(row), name.Read(row), email.Read(row), keyHash.Read(row), origin.Read(row), createdAt.Read(row)));
    }

    private static Table<HostQuotaRecord> DescribeHostQuotas()
    {
        var t = new TableBuilder<HostQuotaRecord>("host_quotas");
        var workerId = t.Id("worker_id", q => q.WorkerId);
        var quota = t.Int32("quota", q => q.Quota);
        var issuedToday = t.Int32("issued_today", q => q.IssuedToday);
        var day = t.Time("day", q => q.Day);
        return t.Upsert(
            key: [workerId],
            update: [quota, issuedToday, day],
            read: row => new HostQuotaRecord(workerId.Read(row), quota.Read(row), issuedToday.Read(row), day.Read(row)));
    }

    private static Table<ApiKeyRecord> DescribeApiKeys()
    {
        var t = new TableBuilder<ApiKeyRecord>("api_keys");
        var keyHash = t.Text("key_hash", k => k.KeyHash);
        var createdAt = t.Time("created_at", k => k.CreatedAt);
        return t.InsertOrIgnore(key: [keyHash], read: row => new ApiKeyRecord(keyHash.Read(row), createdAt.Read(row)));
    }
}
