using System.Text.Json;
using Volunteer.Dashboard.Data.Jobs;
using Volunteer.Protocol;

namespace Volunteer.Dashboard.Tests.Jobs;

/// <summary>A test double of the job pages' data: jobs held in memory, pages cut from them as the coordinator cuts them.</summary>
internal sealed class FakeJobsData : IJobsData
{
    public static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public List<JobView> Jobs { get; } = [];

    public Dictionary<Guid, JobActivity> Activity { get; } = [];

    public Dictionary<Guid, List<FailedUnitReport>> FailedUnits { get; } = [];

    public List<Guid> Cancelled { get; } = [];

    public List<JobsPageRequest> PageRequests { get; } = [];

    public Task<JobsPage?> ListJobsAsync(JobsPageRequest request, CancellationToken cancellationToken)
    {
        PageRequests.Add(request);
        var jobs = Jobs.Where(j => request.State is null || j.State == request.State).ToList();
        var start = 0;
        if ((request.After ?? request.Before) is { } cursor)
        {
            var at = jobs.FindIndex(j => j.Id == cursor);
            if (at < 0)
            {
                return Task.FromResult<JobsPage?>(null);
            }
            start = request.After is not null ? at + 1 : Math.Max(0, at - request.Limit);
        }
        var page = jobs.Skip(start).Take(request.Limit).ToList();
        return Task.FromResult<JobsPage?>(new JobsPage(page, start > 0, start + page.Count < jobs.Count));
    }

    public Task<JobView?> FindJobAsync(Guid jobId, CancellationToken cancellationToken) =>
        Task.FromResult(Jobs.FirstOrDefault(j => j.Id == jobId));

    public Task<JobActivity?> GetActivityAsync(Guid jobId, CancellationToken cancellationToken) =>
        Task.FromResult(Activity.TryGetValue(jobId, out var activity) ? activity
            : Jobs.Any(j => j.Id == jobId) ? new JobActivity(new UnitTimeline(Now, TimeSpan.FromSeconds(1), [0]), ReplicaOutcomes.None, Now) : null);

    public Task<IReadOnlyList<FailedUnitReport>> ListFailedUnitsAsync(Guid jobId, long afterIndex, int limit, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyList<FailedUnitReport>>(
            FailedUnits.GetValueOrDefault(jobId, []).Where(u => u.UnitIndex > afterIndex).Take(limit).ToList());

    public bool HasResultImage(string app) => app == "mandelbrot";

    public Task<CancelOutcome> CancelJobAsync(Guid jobId, CancellationToken cancellationToken)
    {
        var at = Jobs.FindIndex(j => j.Id == jobId);
        if (at < 0)
        {
            return Task.FromResult(CancelOutcome.NotFound);
        }
        if (Jobs[at].State != JobState.Running)
        {
            return Task.FromResult(CancelOutcome.AlreadyEnded);
        }
        Cancelled.Add(jobId);
        Jobs[at] = Jobs[at] with { State = JobState.Cancelled, FinishedAt = Now };
        return Task.FromResult(CancelOutcome.Cancelled);
    }

    /// <summary>A job of <paramref name="app"/> with these unit counts, created a minute before <see cref="Now"/>.</summary>
    public static JobView Job(
        string app, JobState state, UnitCounts units, DateTimeOffset? estimatedCompletion = null, string? result = null, Guid? id = null)
    {
        var count = units.Pending + units.InProgress + units.Valid + units.Assimilated + units.Failed;
        using var parameters = JsonDocument.Parse("""{"from":0,"to":1000}""");
        JsonElement? resultJson = null;
        if (result is not null)
        {
            using var document = JsonDocument.Parse(result);
            resultJson = document.RootElement.Clone();
        }
        return new JobView(id ?? Guid.NewGuid(), app, parameters.RootElement.Clone(), Redundancy.Default, 3600, 0, state, count, units,
            count == 0 ? 1 : (double)units.Assimilated / count, resultJson, null, Now.AddMinutes(-1),
            state == JobState.Running ? null : Now, EstimatedCompletion: estimatedCompletion, Relay: JobRelay.None);
    }
}

/// <summary>A clock stopped at one instant.</summary>
internal sealed class StoppedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
