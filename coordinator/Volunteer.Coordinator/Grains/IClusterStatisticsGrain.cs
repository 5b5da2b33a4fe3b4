namespace Volunteer.Coordinator.Grains;

/// <summary>
/// The cluster's results validated per second over the last hour, summed from what every silo counts on itself; a
/// single instance, key 0. Each silo calls it at most once a second (<see cref="Dashboard.Overview.ClusterResults"/>),
/// whatever the number of people watching. Its history is in memory only: should its silo go, the next activation
/// starts empty, and each silo still has its own copy of the hour it had heard.
/// </summary>
[Alias("Volunteer.IClusterStatisticsGrain")]
public interface IClusterStatisticsGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// Adds <paramref name="validated"/>, the calling silo's count since its last call, to the current second (by the
    /// grain's clock), and returns the cluster's sums of the complete seconds after <paramref name="afterSecond"/>
    /// (Unix seconds) that it knows, at most the last hour's.
    /// </summary>
    [Alias("Exchange")]
    Task<SecondCounts> ExchangeAsync(long validated, long afterSecond);
}
