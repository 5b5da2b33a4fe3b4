using Volunteer.Protocol;
using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>
/// The coordinator's source of truth. Grains hold hot state in memory and write every change through
/// <see cref="CommitAsync"/> before they acknowledge it. Implemented on SQLite (embedded default) and
/// PostgreSQL; both pass the same conformance tests.
/// </summary>
public partial interface IWorkStore
{
    /// <summary>Creates or upgrades the schema; safe to call on every start.</summary>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Completes once <paramref name="batch"/> is durable (group-committed with other callers' batches). A batch
    /// whose <see cref="WorkBatch.Fence"/> is stale writes nothing and fails with <see cref="StaleEpochException"/>;
    /// the batches it was grouped with are not failed by it.
    /// </summary>
    Task CommitAsync(WorkBatch batch, CancellationToken cancellationToken = default);

    /// <summary>
    /// Claims the next epoch of a running job, at once and outside any group commit: from then on only batches
    /// fenced with it commit for the job, and every batch fenced with an earlier epoch that has not committed
    /// yet never will. Null if the job is not running, or unknown.
    /// </summary>
    Task<JobEpoch?> ClaimEpochAsync(Guid jobId, CancellationToken cancellationToken = default);

    Task<JobRecord?> FindJobAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Jobs newest first (ties by id), optionally only those in <paramref name="state"/>: a page of at most
    /// <paramref name="limit"/>, starting after the job <paramref name="after"/> (the last of the previous page).
    /// </summary>
    Task<IReadOnlyList<JobRecord>> ListJobsAsync(JobState? state, int limit, JobRecord? after = null, CancellationToken cancellationToken = default);

    /// <summary>The job's units that are neither assimilated nor failed, with all their replicas.</summary>
    Task<IReadOnlyList<(UnitRecord Unit, IReadOnlyList<ReplicaRecord> Replicas)>> LoadOpenUnitsAsync(
        Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>A page of at most <paramref name="limit"/> of the job's units in <paramref name="state"/>, in unit order, after <paramref name="afterIndex"/>.</summary>
    Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(
        Guid jobId, UnitState state, long afterIndex, int limit, CancellationToken cancellationToken = default);

    Task<ReplicaRecord?> FindReplicaAsync(ReplicaRef replica, CancellationToken cancellationToken = default);

    Task<WorkerRecord?> FindWorkerAsync(Guid workerId, CancellationToken cancellationToken = default);

    Task<bool> IsApiKeyKnownAsync(string keyHash, CancellationToken cancellationToken = default);

    Task<AccountRecord?> FindAccountAsync(Guid accountId, CancellationToken cancellationToken = default);

    /// <summary>The worker attached with this public key (as the coordinator re-encodes it), if any: one key attaches once.</summary>
    Task<WorkerRecord?> FindWorkerByPublicKeyAsync(string publicKey, CancellationToken cancellationToken = default);

    Task<HostQuotaRecord?> FindHostQuotaAsync(Guid workerId, CancellationToken cancellationToken = default);

    /// <summary>The host's record with each app it has had results judged for.</summary>
    Task<IReadOnlyList<HostReliabilityRecord>> ListHostReliabilityAsync(Guid workerId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Flagged hosts, most recently flagged first (ties by worker id, then app): a page of at most <paramref name="limit"/>
    /// after <paramref name="after"/> (the last of the previous page); only those of <paramref name="workerId"/> when given.
    /// </summary>
    Task<IReadOnlyList<HostFlagRecord>> ListHostFlagsAsync(
        Guid? workerId, int limit, HostFlagRecord? after = null, CancellationToken cancellationToken = default);

    Task<CreditTotalRecord?> FindCreditTotalAsync(CreditHolder holder, Guid holderId, CancellationToken cancellationToken = default);

    /// <summary>
    /// The leaderboard: holders of one kind with their names, by <paramref name="order"/> descending (ties by id), the
    /// <paramref name="limit"/> after the first <paramref name="offset"/>.
    /// </summary>
    Task<IReadOnlyList<CreditStanding>> ListCreditStandingsAsync(
        CreditHolder holder, CreditOrder order, int offset, int limit, CancellationToken cancellationToken = default);

    /// <summary>The account's hosts, oldest first, at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<WorkerRecord>> ListAccountWorkersAsync(Guid accountId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The holder's ledger lines, newest first (ties by id), at most <paramref name="limit"/>.</summary>
    Task<IReadOnlyList<CreditEntryRecord>> ListCreditEntriesAsync(
        CreditHolder holder, Guid holderId, int limit, CancellationToken cancellationToken = default);

    /// <summary>The job's relay figures (the sum of every stretch committed); null before any.</summary>
    Task<JobRelayRecord?> FindJobRelayAsync(Guid jobId, CancellationToken cancellationToken = default);

    /// <summary>The blobs the job needs (<see cref="JobBlobRecord"/>), of one use when given.</summary>
    Task<IReadOnlyList<JobBlobRecord>> ListJobBlobsAsync(Guid jobId, JobBlobUse? use = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Whether some job still needs the blob: as an input of a running job, or as a result or result file of any job
    /// (<see cref="JobBlobUse"/>), or as the module or reducer of a registered app version. Blob collection deletes only
    /// blobs nothing needs.
    /// </summary>
    Task<bool> IsBlobNeededAsync(string digest, CancellationToken cancellationToken = default);
}
