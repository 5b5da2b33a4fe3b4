using System.Text.Json;
using Volunteer.Coordinator.Grains;
using Volunteer.Coordinator.Scheduling;
using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Api;

/// <summary>
/// A job as the job API and the dashboard show it (<see cref="JobView"/>): built here once for both, from the job's
/// status (its grain's while it runs, its row's once it has ended) and its relay figures.
/// </summary>
internal static class JobViews
{
    /// <summary>
    /// The job's status: a running job's from its grain, which alone knows its open units; one that has ended is all in
    /// its row, and no grain wakes for it.
    /// </summary>
    public static async Task<JobStatus> StatusAsync(JobRecord job, IGrainFactory grains) =>
        job.State == JobState.Running
            ? await grains.Reference<IJobGrain>(job.Id).GetStatusAsync() ?? JobStatus.Ended(job)
            : JobStatus.Ended(job);

    /// <summary>A job as the API shows it, with its relay figures as its grain has them, or else as stored.</summary>
    public static async Task<JobView> ViewAsync(JobStatus status, IWorkStore store, CancellationToken cancellationToken) =>
        ViewOf(status, status.Relay ?? (await store.FindJobRelayAsync(status.Job.Id, cancellationToken))?.Figures ?? JobRelay.None);

    /// <summary>
    /// A job as the API shows it: its parameters and, once completed, its result as JSON, unless
    /// <paramref name="withResult"/> is false (a list that shows no result need not parse one); its relay figures when
    /// known (a list of ended jobs need not read them).
    /// </summary>
    public static JobView ViewOf(JobStatus status, JobRelay? relay, bool withResult = true)
    {
        var job = status.Job;
        JsonElement? result = withResult && job.State == JobState.Completed ? ResultOf(job) : null;
        return new JobView(job.Id, job.App, status.Parameters, job.Redundancy, job.DeadlineSeconds, job.Priority,
            job.State, job.UnitCount, status.Units, job.UnitCount == 0 ? 1 : (double)job.UnitsAssimilated / job.UnitCount,
            result, job.FailureReason, job.CreatedAt, job.FinishedAt, job.Adaptive && job.Redundancy.MinQuorum == 2, status.EstimatedCompletion,
            relay);
    }

    /// <summary>The job's result as it stands: the reducer's accumulated JSON.</summary>
    public static JsonElement ResultOf(JobRecord job)
    {
        using var accumulated = JsonDocument.Parse(job.Accumulated);
        return accumulated.RootElement.Clone();
    }
}
