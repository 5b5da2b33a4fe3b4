namespace Volunteer.Coordinator.Scheduling;

/// <summary>
/// State changes that must become durable together. Callers hand a batch to the store and are
/// answered only once it is committed; the store may commit many callers' batches in one transaction.
/// </summary>
public sealed class WorkBatch
{
    public List<JobRecord> Jobs { get; } = [];
    public List<UnitRecord> Units { get; } = [];
    public List<ReplicaRecord> Replicas { get; } = [];
    public List<WorkerRecord> Workers { get; } = [];
    public List<ApiKeyRecord> ApiKeys { get; } = [];
    public List<AccountRecord> Accounts { get; } = [];
    public List<HostQuotaRecord> HostQuotas { get; } = [];

    /// <summary>Stretches of hosts' records to add to the stored ones (<see cref="HostReliabilityRecord"/>).</summary>
    public List<HostReliabilityRecord> Reliability { get; } = [];

    /// <summary>Ledger lines; the store adds each to its account's and host's totals in the same commit.</summary>
    public List<CreditEntryRecord> Credits { get; } = [];

    public List<HostFlagRecord> HostFlags { get; } = [];

    /// <summary>Blobs a job needs (its inputs while it runs, its units' result payloads and result file for good).</summary>
    public List<JobBlobRecord> JobBlobs { get; } = [];

    /// <summary>Relay figures to add to the stored ones (<see cref="JobRelayRecord"/>).</summary>
    public List<JobRelayRecord> Relay { get; } = [];

    /// <summary>
    /// The job epoch a job's grain writes this batch under, if any: the store commits the batch only while the job's
    /// row still has that epoch, and otherwise writes none of it and refuses it.
    /// </summary>
    public JobEpoch? Fence { get; set; }

    public bool IsEmpty =>
        Jobs.Count == 0 && Units.Count == 0 && Replicas.Count == 0 && Workers.Count == 0 && ApiKeys.Count == 0
        && Accounts.Count == 0 && HostQuotas.Count == 0 && Reliability.Count == 0 && Credits.Count == 0 && HostFlags.Count == 0
        && JobBlobs.Count == 0 && Relay.Count == 0;
}
