using Volunteer.Coordinator.Scheduling;

namespace Volunteer.Coordinator.Tests;

/// <summary>A host's valid results over the last hour, against what its cores could compute.</summary>
public sealed class ResultRateTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Results_older_than_an_hour_leave_the_count_minute_by_minute()
    {
        var rate = new ResultRate();

        rate.Count(5, Noon);
        rate.Count(3, Noon.AddSeconds(30));
        rate.Count(7, Noon.AddMinutes(30));
        var withinTheHour = rate.LastHour;
        rate.Count(0, Noon.AddMinutes(60));
        var afterNoonsMinute = rate.LastHour;
        rate.Count(0, Noon.AddMinutes(91));

        Assert.Equal((15L, 7L, 0L), (withinTheHour, afterNoonsMinute, rate.LastHour));
    }

    [Fact]
    public void Capacity_is_the_cores_hour_over_the_cost_of_a_unit() =>
        Assert.Equal(480.0, ResultRate.CapacityPerHour(cores: 4, costPerUnitSeconds: 30));

    [Theory]
    // One core at 60 core-seconds a unit computes 60 an hour; twice that is the most a tolerance of 2 allows.
    [InlineData(120, 60.0, false)]
    [InlineData(121, 60.0, true)]
    // Too few results to tell a rate, however fast.
    [InlineData(19, 1000.0, false)]
    // The population's cost not measured yet.
    [InlineData(1000, null, false)]
    public void A_host_exceeds_its_capacity_only_past_the_tolerance_on_enough_results(long valid, double? costPerUnitSeconds, bool exceeds)
    {
        var rate = new ResultRate();
        rate.Count(valid, Noon);

        Assert.Equal(exceeds, rate.Exceeds(cores: 1, costPerUnitSeconds, tolerance: 2, minResults: 20));
    }
}
