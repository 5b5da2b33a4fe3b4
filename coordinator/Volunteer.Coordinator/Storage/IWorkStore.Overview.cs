using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Storage;

/// <summary>What the dashboard's overview reads of all jobs at once.</summary>
public partial interface IWorkStore
{
    /// <summary>Units assimilated by every job as stored, and the relay figures of the jobs no longer running.</summary>
    Task<JobTotals> SumJobsAsync(CancellationToken cancellationToken = default);
}
