using Volunteer.WorkUnits.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>One job: its spec, split cursor, open units, leases, validation and assimilation.</summary>
[Alias("Volunteer.IJobGrain")]
public interface IJobGrain : IGrainWithGuidKey
{
    /// <summary>Records the job durably; returns its view once committed.</summary>
    [Alias("Submit")]
    Task<JobView> SubmitAsync(JobSpec spec);

    /// <summary>The job's view, or null when no such job exists.</summary>
    [Alias("GetView")]
    Task<JobView?> GetViewAsync();

    /// <summary>
    /// Leases up to <paramref name="count"/> replicas to the worker; committed before returning.
    /// <paramref name="held"/>, when known, lists this job's replicas the worker holds; leases it lost are sent again.
    /// </summary>
    [Alias("Lease")]
    Task<IReadOnlyList<Assignment>> LeaseAsync(Guid workerId, int count, IReadOnlyList<ReplicaRef>? held);

    /// <summary>Which of these reports would be refused, without changing anything.</summary>
    [Alias("Judge")]
    Task<IReadOnlyList<RefusedReport>> JudgeReportsAsync(Guid workerId, IReadOnlyList<ReplicaRef> reports);

    /// <summary>
    /// Accepts all of the reports (signatures already verified) and commits them, or refuses them
    /// all and changes nothing.
    /// </summary>
    [Alias("Report")]
    Task<IReadOnlyList<RefusedReport>> ReportAsync(Guid workerId, IReadOnlyList<ReplicaReport> reports);

    /// <summary>Of the replicas a worker is computing, those it should stop.</summary>
    [Alias("FindCancelled")]
    Task<IReadOnlyList<ReplicaRef>> FindCancelledAsync(Guid workerId, IReadOnlyList<ReplicaRef> inProgress);

    /// <summary>Cancels the job; false if it had already ended.</summary>
    [Alias("Cancel")]
    Task<bool> CancelAsync();
}
