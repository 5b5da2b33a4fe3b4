namespace Volunteer.Coordinator.Grains;

/// <summary>
/// Sums every silo's validated results per second into one hour-long ring, by its own clock (so silos' clocks need not
/// agree): a count is added to the second it arrives in, and a second is handed out once it is over. An hour idle, it
/// has nothing left worth keeping and may be collected.
/// </summary>
[CollectionAgeLimit(Minutes = 65)]
public sealed class ClusterStatisticsGrain(TimeProvider time) : Grain, IClusterStatisticsGrain
{
    /// <summary>The hour handed out, and the second under way.</summary>
    private readonly SecondRing _ring = new(SecondRing.Hour + 1);

    public Task<SecondCounts> ExchangeAsync(long validated, long afterSecond)
    {
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        _ring.Add(now, Math.Max(0, validated));
        return Task.FromResult(_ring.After(afterSecond, now - 1));
    }
}
