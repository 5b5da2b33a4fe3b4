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
    /// A job's spec, whether it is adaptive included, is written once; its cursor, counters, state and running result
    /// change as it goes. Its epoch (<see cref="JobEpoch"/>) is the store's alone: claimed and checked by the store's
    /// own statements, never written by the upsert, so no batch of a stale activation can set it back.
    /// </summary>
    public static readonly Table<JobRecord> Jobs = DescribeJobs();

    /// <summary>A unit's input is written once; its state, quorum and replica bookkeeping change.</summary>
    public static readonly Table<UnitRecord> Units = DescribeUnits();

    /// <summary>Everything about a replica but its identity changes as it is leased, reported and judged.</summary>
    public static readonly Table<ReplicaRecord> Replicas = DescribeReplicas();

    /// <summary>
    /// A worker is registered once: a second registration under the same id is refused. When it last synced is kept
    /// apart, in host_presence, by the store's own statements (<see cref="IWorkStore.MarkHostsSyncedAsync"/>).
    /// </summary>
    public static readonly Table<WorkerRecord> Workers = DescribeWorkers();

    /// <summary>Adding a known API key again changes nothing.</summary>
    public static readonly Table<ApiKeyRecord> ApiKeys = DescribeApiKeys();

    /// <summary>An account is created once: a second one under the same id is refused.</summary>
    public static readonly Table<AccountRecord> Accounts = DescribeAccounts();

    /// <summary>A host's quota row is overwritten as its results are judged and replicas issued to it.</summary>
    public static readonly Table<HostQuotaRecord> HostQuotas = DescribeHostQuotas();

    /// <summary>
    /// A write adds a stretch of the host's record with an app to the stored one, as <see cref="HostTally.Then"/> does:
    /// counts and turnarounds add up, and an invalid result in the stretch restarts the run of valid results.
    /// </summary>
    public static readonly Table<HostReliabilityRecord> HostReliability = DescribeHostReliability();

    /// <summary>A ledger line is written once: a second line under the same id is refused, so no credit is granted twice.</summary>
    public static readonly Table<CreditEntryRecord> CreditLedger = DescribeCreditLedger();

    /// <summary>A write adds the rows a batch's ledger lines make (<see cref="CreditTotalRecord.Of"/>) to the stored ones.</summary>
    public static readonly Table<CreditTotalRecord> CreditTotals = DescribeCreditTotals();

    /// <summary>A later flag of a host and app replaces the earlier one.</summary>
    public static readonly Table<HostFlagRecord> HostFlags = DescribeHostFlags();

    /// <summary>A blob a job needs is recorded once: recording it again changes nothing.</summary>
    public static readonly Table<JobBlobRecord> JobBlobs = DescribeJobBlobs();

    /// <summary>A write adds a stretch of a job's relay figures to the stored ones, so every silo's counts add up.</summary>
    public static readonly Table<JobRelayRecord> JobRelay = DescribeJobRelay();

    /// <summary>
    /// A registered app version is written once and never changes: writing a stored name and version again changes
    /// nothing (<see cref="IWorkStore.AddAppVersionAsync"/> says so).
    /// </summary>
    public static readonly Table<AppVersionView> AppVersions = DescribeAppVersions();

    public static readonly IReadOnlyList<ITable> All =
        [Jobs, Units, Replicas, Workers, ApiKeys, Accounts, HostQuotas, HostReliability, CreditLedger, CreditTotals, HostFlags, JobBlobs, JobRelay,
            AppVersions];

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
        var adaptive = t.Boolean("adaptive", j => j.Adaptive);
        t.KeptByStore("epoch", ColumnKind.Int64);
        return t.Upsert(
            key: [id],
            update: [unitsOpened, unitsAssimilated, unitsFailed, state, accumulated, failureReason, finishedAt],
            read: row => new JobRecord(
                id.Read(row), app.Read(row), parameters.Read(row),
                new Redundancy(targetResults.Read(row), minQuorum.Read(row), maxErrorResults.Read(row), maxTotalResults.Read(row)),
                deadlineSeconds.Read(row), priority.Read(row), unitCount.Read(row), unitsOpened.Read(row),
                unitsAssimilated.Read(row), unitsFailed.Read(row), state.Read(row), accumulated.Read(row),
                failureReason.Read(row), createdAt.Read(row), finishedAt.Read(row), adaptive.Read(row)));
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
        var quorum = t.Int32("quorum", u => u.Quorum);
        return t.Upsert(
            key: [jobId, unitIndex],
            update: [state, replicaCount, canonicalReplica, quorum],
            read: row => new UnitRecord(
                jobId.Read(row), unitIndex.Read(row), input.Read(row), state.Read(row), replicaCount.Read(row), canonicalReplica.Read(row),
                quorum.Read(row)));
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
        var fuel = t.Int64OrNull("fuel", r => r.Fuel);
        return t.Upsert(
            key: [jobId, unitIndex, replica],
            update: [state, workerId, issuedAt, deadline, reportedAt, outcome, digest, size, payload, error, accountId, network, fuel],
            read: row => new ReplicaRecord(
                jobId.Read(row), unitIndex.Read(row), replica.Read(row), state.Read(row), workerId.Read(row),
                issuedAt.Read(row), deadline.Read(row), reportedAt.Read(row), outcome.Read(row), digest.Read(row),
                size.Read(row), payload.Read(row), error.Read(row), accountId.Read(row), network.Read(row), fuel.Read(row)));
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

    private static Table<HostReliabilityRecord> DescribeHostReliability()
    {
        var t = new TableBuilder<HostReliabilityRecord>("host_reliability");
        var workerId = t.Id("worker_id", r => r.WorkerId);
        var app = t.Text("app", r => r.App);
        var valid = t.Int64("valid", r => r.Tally.Valid);
        var invalid = t.Int64("invalid", r => r.Tally.Invalid);
        var errors = t.Int64("errors", r => r.Tally.Errors);
        var timedOut = t.Int64("timed_out", r => r.Tally.TimedOut);
        var consecutiveValid = t.Int64("consecutive_valid", r => r.Tally.ConsecutiveValid);
        var turnaroundSeconds = t.Double("turnaround_seconds", r => r.Tally.TurnaroundSeconds);
        var turnarounds = t.Int64("turnarounds", r => r.Tally.Turnarounds);
        var updatedAt = t.Time("updated_at", r => r.UpdatedAt);
        return t.Merge(
            key: [workerId, app],
            merge:
            [
                t.Sum(valid), t.Sum(invalid), t.Sum(errors), t.Sum(timedOut),
                new ColumnUpdate(consecutiveValid,
                    "CASE WHEN excluded.invalid > 0 THEN excluded.consecutive_valid " +
                    "ELSE host_reliability.consecutive_valid + excluded.consecutive_valid END"),
                t.Sum(turnaroundSeconds), t.Sum(turnarounds), t.Later(updatedAt),
            ],
            read: row => new HostReliabilityRecord(
                workerId.Read(row), app.Read(row),
                new HostTally(valid.Read(row), invalid.Read(row), errors.Read(row), timedOut.Read(row), consecutiveValid.Read(row),
                    turnaroundSeconds.Read(row), turnarounds.Read(row)),
                updatedAt.Read(row)));
    }

    private static Table<CreditEntryRecord> DescribeCreditLedger()
    {
        var t = new TableBuilder<CreditEntryRecord>("credit_ledger");
        var id = t.Id("id", c => c.Id);
        var accountId = t.Id("account_id", c => c.AccountId);
        var workerId = t.Id("worker_id", c => c.WorkerId);
        var jobId = t.Id("job_id", c => c.JobId);
        var unitIndex = t.Int64("unit_index", c => c.UnitIndex);
        var replica = t.Int32("replica", c => c.Replica);
        var amount = t.Double("amount", c => c.Amount);
        var earnedAt = t.Time("earned_at", c => c.EarnedAt);
        var writtenAt = t.Time("written_at", c => c.At);
        return t.Insert(
            key: [id],
            read: row => new CreditEntryRecord(
                id.Read(row), accountId.Read(row), workerId.Read(row), jobId.Read(row), unitIndex.Read(row), replica.Read(row),
                amount.Read(row), earnedAt.Read(row), writtenAt.Read(row)));
    }

    private static Table<CreditTotalRecord> DescribeCreditTotals()
    {
        var t = new TableBuilder<CreditTotalRecord>("credit_totals");
        var holder = t.Enum("holder", c => c.Holder);
        var holderId = t.Id("holder_id", c => c.HolderId);
        var total = t.Double("total", c => c.Total);
        var decayedCredit = t.Double("decayed_credit", c => c.DecayedCredit);
        var validResults = t.Int64("valid_results", c => c.ValidResults);
        var updatedAt = t.Time("updated_at", c => c.UpdatedAt);
        return t.Merge(
            key: [holder, holderId],
            merge: [t.Sum(total), t.Sum(decayedCredit), t.Sum(validResults), t.Later(updatedAt)],
            read: row => new CreditTotalRecord(
                holder.Read(row), holderId.Read(row), total.Read(row), decayedCredit.Read(row), validResults.Read(row), updatedAt.Read(row)));
    }

    private static Table<HostFlagRecord> DescribeHostFlags()
    {
        var t = new TableBuilder<HostFlagRecord>("host_flags");
        var workerId = t.Id("worker_id", f => f.WorkerId);
        var app = t.Text("app", f => f.App);
        var flaggedAt = t.Time("flagged_at", f => f.FlaggedAt);
        var resultsPerHour = t.Double("results_per_hour", f => f.ResultsPerHour);
        var capacityPerHour = t.Double("capacity_per_hour", f => f.CapacityPerHour);
        var reason = t.Text("reason", f => f.Reason);
        return t.Upsert(
            key: [workerId, app],
            update: [flaggedAt, resultsPerHour, capacityPerHour, reason],
            read: row => new HostFlagRecord(
                workerId.Read(row), app.Read(row), flaggedAt.Read(row), resultsPerHour.Read(row), capacityPerHour.Read(row), reason.Read(row)));
    }

    private static Table<JobBlobRecord> DescribeJobBlobs()
    {
        var t = new TableBuilder<JobBlobRecord>("job_blobs");
        var jobId = t.Id("job_id", b => b.JobId);
        var digest = t.Text("digest", b => b.Digest);
        var use = t.Enum("use", b => b.Use);
        return t.InsertOrIgnore(key: [jobId, digest, use], read: row => new JobBlobRecord(jobId.Read(row), digest.Read(row), use.Read(row)));
    }

    private static Table<JobRelayRecord> DescribeJobRelay()
    {
        var t = new TableBuilder<JobRelayRecord>("job_relay");
        var jobId = t.Id("job_id", r => r.JobId);
        var coordinatorBytes = t.Int64("coordinator_bytes", r => r.Figures.CoordinatorBytes);
        var peerBytes = t.Int64("peer_bytes", r => r.Figures.PeerBytes);
        var badChunks = t.Int64("bad_chunks", r => r.Figures.BadChunks);
        var resultsPulled = t.Int64("results_pulled", r => r.Figures.ResultsPulled);
        var reportsRelayed = t.Int64("reports_relayed", r => r.Figures.ReportsRelayed);
        return t.Merge(
            key: [jobId],
            merge: [t.Sum(coordinatorBytes), t.Sum(peerBytes), t.Sum(badChunks), t.Sum(resultsPulled), t.Sum(reportsRelayed)],
            read: row => new JobRelayRecord(
                jobId.Read(row),
                new JobRelay(coordinatorBytes.Read(row), peerBytes.Read(row), badChunks.Read(row), resultsPulled.Read(row), reportsRelayed.Read(row))));
    }

    private static Table<ApiKeyRecord> DescribeApiKeys()
    {
        var t = new TableBuilder<ApiKeyRecord>("api_keys");
        var keyHash = t.Text("key_hash", k => k.KeyHash);
        var createdAt = t.Time("created_at", k => k.CreatedAt);
        return t.InsertOrIgnore(key: [keyHash], read: row => new ApiKeyRecord(keyHash.Read(row), createdAt.Read(row)));
    }

    private static Table<AppVersionView> DescribeAppVersions()
    {
        var t = new TableBuilder<AppVersionView>("app_versions");
        var name = t.Text("name", a => a.Name);
        var version = t.Text("version", a => a.Version);
        var module = t.Text("module", a => a.Module);
        var moduleSize = t.Int64("module_size", a => a.ModuleSize);
        var comparator = t.Enum("comparator", a => a.Comparator.Kind);
        var absolute = t.Double("absolute_tolerance", a => a.Comparator.Absolute);
        var relative = t.Double("relative_tolerance", a => a.Comparator.Relative);
        var creditPerUnit = t.DoubleOrNull("credit_per_unit", a => a.Credit.PerUnit);
        var creditPerMillionFuel = t.DoubleOrNull("credit_per_million_fuel", a => a.Credit.PerMillionFuel);
        var memoryBytes = t.Int64("memory_bytes", a => a.Limits.MemoryBytes);
        var fuelPerUnit = t.Int64("fuel_per_unit", a => a.Limits.FuelPerUnit);
        var reducer = t.TextOrNull("reducer", a => a.Reducer);
        var signature = t.Text("signature", a => a.Signature);
        var registeredAt = t.Time("registered_at", a => a.RegisteredAt);
        return t.InsertOrIgnore(
            key: [name, version],
            read: row => new AppVersionView(
                name.Read(row), version.Read(row), module.Read(row), moduleSize.Read(row),
                new AppComparator(comparator.Read(row), absolute.Read(row), relative.Read(row)),
                new AppCredit(creditPerUnit.Read(row), creditPerMillionFuel.Read(row)),
                new AppLimits(memoryBytes.Read(row), fuelPerUnit.Read(row)),
                reducer.Read(row), signature.Read(row), registeredAt.Read(row)));
    }
}
