namespace Volunteer.Coordinator.Grains;

/// <summary>The running jobs in dispatch order (the feeder's view); a single instance, key 0.</summary>
[Alias("Volunteer.IJobCatalogGrain")]
public interface IJobCatalogGrain : IGrainWithIntegerKey
{
    [Alias("GetRunning")]
    Task<IReadOnlyList<RunningJob>> GetRunningJobsAsync();

    [Alias("Started")]
    Task JobStartedAsync(RunningJob job);

    [Alias("Ended")]
    Task JobEndedAsync(Guid jobId);
}
