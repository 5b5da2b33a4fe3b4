using Volunteer.Coordinator.Storage;
using Volunteer.Protocol;

namespace Volunteer.Coordinator.Grains;

/// <summary>Keeps the running jobs ranked by priority, then age; rebuilt from the store on activation.</summary>
public sealed class JobCatalogGrain(IWorkStore store) : Grain, IJobCatalogGrain
{
    private List<RunningJob> _running = [];

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var jobs = await store.ListJobsAsync(JobState.Running, int.MaxValue, cancellationToken: cancellationToken);
        _running = jobs.Select(j => new RunningJob(j.Id, j.Priority, j.CreatedAt, j.App)).ToList();
        Rank();
    }

    public Task<IReadOnlyList<RunningJob>> GetRunningJobsAsync() => Task.FromResult<IReadOnlyList<RunningJob>>(_running);

    public Task JobStartedAsync(RunningJob job)
    {
        if (_running.All(j => j.JobId != job.JobId))
        {
            // Copy-on-write: callers may still hold the list handed out before.
            _running = [.. _running, job];
            Rank();
        }
        return Task.CompletedTask;
    }

    public Task JobEndedAsync(Guid jobId)
    {
        _running = _running.Where(j => j.JobId != jobId).ToList();
        return Task.CompletedTask;
    }

    private void Rank() =>
        _running = _running.OrderByDescending(j => j.Priority).ThenBy(j => j.CreatedAt).ThenBy(j => j.JobId).ToList();
}
